import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fp from 'fastify-plugin';
import fastifyView from '@fastify/view';
import Handlebars from 'handlebars';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { DEFAULT_LANGUAGE, isLanguage, translate } from '../i18n.ts';
import { formatDate, formatDateTime, formatTime } from '../time.ts';
import type { Language } from '../db/types.ts';

export const VIEWS_DIR = fileURLToPath(new URL('../../views/', import.meta.url));
export const LANGUAGE_COOKIE = 'lang';

/** A form's problems: field name -> locale key of the message (what to do next). */
export type FieldErrors = Record<string, string>;

export interface PageOptions {
  /** Locale key of the page title (the h1 and <title>). */
  title: string;
  titleValues?: Record<string, unknown>;
  /** Form problems; when present the title gets "Fejl: " and the error summary is shown. */
  errors?: FieldErrors;
  /** What the user typed, shown again when the form comes back with errors. */
  values?: Record<string, unknown>;
  [key: string]: unknown;
}

declare module 'fastify' {
  interface FastifyRequest {
    language: Language;
  }
  interface FastifyReply {
    /** Renders a page in the layout with everything every page needs (language, user, CSRF token). */
    page(template: string, options: PageOptions): Promise<FastifyReply>;
  }
}

function languageOf(request: FastifyRequest): Language {
  const chosen = request.cookies?.[LANGUAGE_COOKIE];
  return isLanguage(chosen) ? chosen : DEFAULT_LANGUAGE;
}

function partialsIn(folder: string): Record<string, string> {
  const partials: Record<string, string> = {};
  for (const file of readdirSync(path.join(VIEWS_DIR, folder))) {
    if (file.endsWith('.hbs')) partials[file.slice(0, -4)] = path.join(folder, file);
  }
  return partials;
}

export function createHandlebars(): typeof Handlebars {
  const hbs = Handlebars.create();
  const lang = (options: Handlebars.HelperOptions): Language => {
    const value: unknown = options.data?.root?.lang;
    return isLanguage(value) ? value : DEFAULT_LANGUAGE;
  };
  // {{t "key" name=value}}: a text from views/locales in the page's language.
  hbs.registerHelper('t', function (key: unknown, options: Handlebars.HelperOptions) {
    return translate(lang(options), String(key), options.hash as Record<string, unknown>);
  });
  hbs.registerHelper('eq', (a: unknown, b: unknown) => a === b);
  hbs.registerHelper('concat', (...args: unknown[]) => args.slice(0, -1).map(String).join(''));
  hbs.registerHelper('not', (a: unknown) => !a);
  hbs.registerHelper('inc', (n: unknown) => Number(n) + 1);
  hbs.registerHelper('encode', (value: unknown) => encodeURIComponent(String(value ?? '')));
  hbs.registerHelper('or', (...args: unknown[]) => args.slice(0, -1).some(Boolean));
  hbs.registerHelper('and', (...args: unknown[]) => args.slice(0, -1).every(Boolean));
  hbs.registerHelper('lookupValue', (values: unknown, name: unknown) =>
    values && typeof values === 'object' ? (values as Record<string, unknown>)[String(name)] : undefined,
  );
  hbs.registerHelper('date', function (value: unknown, options: Handlebars.HelperOptions) {
    return value ? formatDate(value as Date | string, lang(options)) : '';
  });
  hbs.registerHelper('time', function (value: unknown, options: Handlebars.HelperOptions) {
    return value instanceof Date ? formatTime(value, lang(options)) : '';
  });
  hbs.registerHelper('dateTime', function (value: unknown, options: Handlebars.HelperOptions) {
    return value instanceof Date ? formatDateTime(value, lang(options)) : '';
  });
  return hbs;
}

export default fp(
  async function viewsPlugin(app: FastifyInstance) {
    await app.register(fastifyView, {
      engine: { handlebars: createHandlebars() },
      root: VIEWS_DIR,
      layout: 'layouts/main.hbs',
      viewExt: 'hbs',
      production: app.config.production,
      options: { partials: partialsIn('partials') },
    });

    app.decorateRequest('language', DEFAULT_LANGUAGE);
    app.addHook('onRequest', async (request) => {
      request.language = languageOf(request);
    });

    app.decorateReply('page', async function page(this: FastifyReply, template: string, options: PageOptions) {
      const request = this.request;
      const lang = request.language;
      const user = request.session?.user;
      const hasErrors = options.errors !== undefined && Object.keys(options.errors).length > 0;
      const errorList = hasErrors
        ? Object.entries(options.errors ?? {}).map(([field, message]) => ({ field, message }))
        : [];
      const title = translate(lang, options.title, options.titleValues);
      const csrfToken = request.session ? this.generateCsrf() : undefined;
      if (user) this.header('cache-control', 'no-store');
      return this.view(template, {
        ...options,
        lang,
        otherLang: lang === 'da' ? 'en' : 'da',
        user,
        isCitizen: user?.kind === 'citizen',
        isStaff: user?.kind === 'staff',
        demo: app.config.demo,
        // On a kiosk the page warns before the session ends for want of activity (views/assets/app.js).
        kioskIdleSeconds: user ? request.session?.kioskIdleSeconds : undefined,
        csrfToken,
        pageHeading: title,
        documentTitle: `${hasErrors ? translate(lang, 'common.errorPrefix') : ''}${title} - ${translate(lang, 'common.serviceName')}`,
        hasErrors,
        errorList,
        values: options.values ?? {},
        errors: options.errors ?? {},
        currentPath: request.url.split('?')[0],
        requestUrl: request.url,
      });
    });
  },
  { name: 'views', dependencies: ['config', 'session', 'security'] },
);
