import { beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { Agent, useTestApp } from './helper.ts';

/** The jobcenter's settings page (/admin/indstillinger, server/admin/settings-routes.ts). */

const ctx = useTestApp();
const PATH = '/admin/indstillinger';
const DEMO = '0999';

/** A good form: the demo jobcenter's settings as the page shows them in Danish. */
const GOOD = {
  minBookingNotice: '120',
  moveNotice: '24',
  quietEnd: '08:00',
  quietStart: '21:00',
  smsSender: 'JobcSoby',
  phone: '+45 7010 2030',
  accessibilityUrl: '',
  targetSelfBooking: '40',
  targetJoblogCash: '80',
  targetJoblogInsured: '90',
  targetRating: '90',
  targetApplications: '20',
  baselineFrom: '',
  baselineTo: '',
  kioskIdle: '90',
};

const settingsRow = (jobcenterId = DEMO) =>
  ctx.app.db.selectFrom('jobcenter_settings').selectAll().where('jobcenter_id', '=', jobcenterId).executeTakeFirstOrThrow();

/** The row without updated_at, in a form that compares equal on both databases. */
async function snapshot(jobcenterId = DEMO) {
  const { updated_at: _updated, ...rest } = await settingsRow(jobcenterId);
  return JSON.parse(JSON.stringify(rest)) as Record<string, unknown>;
}

async function settingsAudits() {
  const rows = await ctx.app.db
    .selectFrom('audit_log')
    .select(['actor_id', 'action', 'entity_id', 'jobcenter_id', 'citizen_id', 'details'])
    .where('entity', '=', 'jobcenter_settings')
    .orderBy('at')
    .orderBy('id')
    .execute();
  return rows.map((r) => ({ ...r, details: (typeof r.details === 'string' ? JSON.parse(r.details) : r.details) as Record<string, unknown> }));
}

const escape = (value: string) => value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

let admin: Agent;
let adminId = '';

beforeAll(async () => {
  admin = new Agent(ctx.app);
  await admin.logInAs('admin');
  adminId = (await ctx.app.db.selectFrom('demo_users').select('staff_id').where('username', '=', 'admin').executeTakeFirstOrThrow()).staff_id as string;
  // A second jobcenter, whose settings the demo admin must never touch.
  await ctx.app.db.insertInto('jobcenters').values({ id: '0998', name: 'Jobcenter Andeby' }).execute();
  await ctx.app.db.insertInto('jobcenter_settings').values({ jobcenter_id: '0998', display_name: 'Jobcenter Andeby', phone: '+45 1111 2222' }).execute();
});

/** Saves the good form with some fields changed; expects the redirect and returns the new audit row. */
async function save(changes: Record<string, string>) {
  const before = (await settingsAudits()).length;
  const response = await admin.post(PATH, { ...GOOD, ...changes });
  expect(response.statusCode, response.body).toBe(303);
  expect(response.headers.location).toBe(`${PATH}?besked=saved`);
  const audits = await settingsAudits();
  expect(audits).toHaveLength(before + 1);
  return audits.at(-1)!;
}

describe('the settings page', () => {
  it('is linked from the administration start page', async () => {
    const start = await admin.get('/admin');
    expect(start.body).toContain(`href="${PATH}"`);
  });

  it("shows the jobcenter's settings, grouped, with a label on every field", async () => {
    const page = await admin.get(PATH);
    expect(page.statusCode).toBe(200);
    expect(page.headers['cache-control']).toBe('no-store');
    expect(page.body).toContain('<title>Jobcentrets indstillinger - ');
    for (const heading of ['Booking', 'SMS', 'Kontakt og tilgængelighed', 'Mål', 'Basisperiode for jobsøgninger', 'Kiosk']) {
      expect(page.body).toContain(`>${heading}</h2>`);
    }
    for (const [name, value] of Object.entries(GOOD)) {
      expect(page.body, name).toContain(`for="field-${name}"`);
      expect(page.body, name).toMatch(new RegExp(`id="field-${name}" name="${name}"[^>]*value="${escape(value)}"`));
    }
    const english = await admin.get(PATH, { cookie: `${[...admin.cookies].map(([k, v]) => `${k}=${v}`).join('; ')}; lang=en` });
    expect(english.body).toContain('Jobcentre settings');
    expect(english.body).toContain('Send text messages from');
  });

  it('shows a target with a decimal with a comma in Danish and a point in English', async () => {
    await save({ targetSelfBooking: '42,5' });
    expect((await settingsRow()).target_self_booking).toMatch(/^0\.425/);
    const da = await admin.get(PATH);
    expect(da.body).toMatch(/name="targetSelfBooking"[^>]*value="42,5"/);
    const cookie = `${[...admin.cookies].map(([k, v]) => `${k}=${v}`).join('; ')}; lang=en`;
    const en = await admin.get(PATH, { cookie });
    expect(en.body).toMatch(/name="targetSelfBooking"[^>]*value="42.5"/);
    await save({ targetSelfBooking: '40' });
  });
});

describe('changing the settings, group by group', () => {
  it('booking: the notice periods', async () => {
    const audit = await save({ minBookingNotice: '240', moveNotice: '48' });
    const row = await settingsRow();
    expect(row.min_booking_notice_minutes).toBe(240);
    expect(row.move_notice_hours).toBe(48);
    expect(audit).toMatchObject({ actor_id: adminId, action: 'update', entity_id: DEMO, jobcenter_id: DEMO, citizen_id: null });
    expect(audit.details).toEqual({
      changed: ['min_booking_notice_minutes', 'move_notice_hours'],
      old: { min_booking_notice_minutes: 120, move_notice_hours: 24 },
      new: { min_booking_notice_minutes: 240, move_notice_hours: 48 },
    });
    const page = await admin.get(`${PATH}?besked=saved`);
    expect(page.body).toContain('Indstillingerne er gemt.');
    expect(page.body).toMatch(/name="minBookingNotice"[^>]*value="240"/);
    await save({});
  });

  it('SMS: quiet hours (also written 7.30 or 22.15) and the sender name', async () => {
    const audit = await save({ quietEnd: '7.30', quietStart: '22.15', smsSender: 'Jobcenter S' });
    const row = await settingsRow();
    expect(String(row.quiet_hours_end).slice(0, 5)).toBe('07:30');
    expect(String(row.quiet_hours_start).slice(0, 5)).toBe('22:15');
    expect(row.sms_sender_name).toBe('Jobcenter S');
    expect(audit.details).toEqual({
      changed: ['quiet_hours_end', 'quiet_hours_start', 'sms_sender_name'],
      old: { quiet_hours_end: '08:00', quiet_hours_start: '21:00', sms_sender_name: 'JobcSoby' },
      new: { quiet_hours_end: '07:30', quiet_hours_start: '22:15', sms_sender_name: 'Jobcenter S' },
    });
    await save({});
  });

  it('contact: the phone number (recorded as changed, the numbers kept out of the audit log) and the accessibility statement', async () => {
    const audit = await save({ phone: '+45 70 10 99 99', accessibilityUrl: 'https://was.digst.dk/jobcenter-soby' });
    const row = await settingsRow();
    expect(row.phone).toBe('+45 70 10 99 99');
    expect(row.accessibility_statement_url).toBe('https://was.digst.dk/jobcenter-soby');
    expect(audit.details).toEqual({
      changed: ['phone', 'accessibility_statement_url'],
      old: { accessibility_statement_url: null },
      new: { accessibility_statement_url: 'https://was.digst.dk/jobcenter-soby' },
    });
    expect(JSON.stringify(audit.details)).not.toMatch(/7010|99 99/);
    // Emptying the address removes it again.
    const cleared = await save({});
    expect((await settingsRow()).accessibility_statement_url).toBeNull();
    expect(cleared.details).toMatchObject({ changed: ['phone', 'accessibility_statement_url'] });
  });

  it('targets: self-booking, Joblog per group, rating and the applications increase', async () => {
    const audit = await save({ targetSelfBooking: '55', targetJoblogCash: '75,5', targetJoblogInsured: '100', targetRating: '0', targetApplications: '150' });
    const row = await settingsRow();
    expect(Number(row.target_self_booking)).toBe(0.55);
    expect(Number(row.target_joblog_jobready_cash_benefit)).toBe(0.755);
    expect(Number(row.target_joblog_insured_unemployed)).toBe(1);
    expect(Number(row.target_meeting_rating)).toBe(0);
    expect(Number(row.target_applications_increase)).toBe(1.5);
    expect(audit.details).toEqual({
      changed: ['target_self_booking', 'target_joblog_jobready_cash_benefit', 'target_joblog_insured_unemployed', 'target_meeting_rating', 'target_applications_increase'],
      old: {
        target_self_booking: '0.400',
        target_joblog_jobready_cash_benefit: '0.800',
        target_joblog_insured_unemployed: '0.900',
        target_meeting_rating: '0.900',
        target_applications_increase: '0.200',
      },
      new: {
        target_self_booking: '0.550',
        target_joblog_jobready_cash_benefit: '0.755',
        target_joblog_insured_unemployed: '1.000',
        target_meeting_rating: '0.000',
        target_applications_increase: '1.500',
      },
    });
    await save({});
  });

  it('the applications baseline: a period of months, and empty again for the default', async () => {
    const audit = await save({ baselineFrom: '2024-10', baselineTo: '2025-9' });
    let row = await settingsRow();
    expect(row.applications_baseline_from).toBe('2024-10-01');
    expect(row.applications_baseline_to).toBe('2025-09-01');
    expect(audit.details).toEqual({
      changed: ['applications_baseline_from', 'applications_baseline_to'],
      old: { applications_baseline_from: null, applications_baseline_to: null },
      new: { applications_baseline_from: '2024-10-01', applications_baseline_to: '2025-09-01' },
    });
    const page = await admin.get(PATH);
    expect(page.body).toMatch(/name="baselineFrom"[^>]*value="2024-10"/);
    expect(page.body).toMatch(/name="baselineTo"[^>]*value="2025-09"/);
    await save({});
    row = await settingsRow();
    expect(row.applications_baseline_from).toBeNull();
    expect(row.applications_baseline_to).toBeNull();
  });

  it('the kiosk: seconds without activity before it logs out', async () => {
    const audit = await save({ kioskIdle: '300' });
    expect((await settingsRow()).kiosk_idle_seconds).toBe(300);
    expect(audit.details).toEqual({ changed: ['kiosk_idle_seconds'], old: { kiosk_idle_seconds: 90 }, new: { kiosk_idle_seconds: 300 } });
    await save({});
  });

  it('saving without a change writes nothing and says so', async () => {
    const before = await settingsAudits();
    const stored = await snapshot();
    const response = await admin.post(PATH, GOOD);
    expect(response.statusCode).toBe(303);
    expect(response.headers.location).toBe(`${PATH}?besked=unchanged`);
    expect(await settingsAudits()).toEqual(before);
    expect(await snapshot()).toEqual(stored);
    expect((await admin.get(response.headers.location as string)).body).toContain('Der var ingen ændringer at gemme.');
  });

  it("never touches another jobcenter's settings", async () => {
    const other = await snapshot('0998');
    await save({ kioskIdle: '120' });
    await save({});
    expect(await snapshot('0998')).toEqual(other);
  });
});

describe('bad input', () => {
  const cases: Array<[string, Record<string, string>, string, string]> = [
    // [what, changes, field, message]
    ['a missing number', { minBookingNotice: '' }, 'minBookingNotice', 'Skriv mindste varsel for booking i minutter.'],
    ['a number that is not whole', { moveNotice: '2,5' }, 'moveNotice', 'Skriv varsel for flytning og aflysning som et helt antal timer fra 0 til 336.'],
    ['a number out of range', { moveNotice: '337' }, 'moveNotice', 'Skriv varsel for flytning og aflysning som et helt antal timer fra 0 til 336.'],
    ['minutes out of range', { minBookingNotice: '10081' }, 'minBookingNotice', 'Skriv mindste varsel for booking som et helt antal minutter fra 0 til 10080.'],
    ['kiosk seconds below the least', { kioskIdle: '29' }, 'kioskIdle', 'Skriv et helt antal sekunder fra 30 til 900.'],
    ['a time that is no time', { quietEnd: '25:00' }, 'quietEnd', 'Skriv klokkeslættet, hvor der tidligst sendes SMS, som tt:mm, fx 08:00.'],
    ['quiet hours the wrong way round', { quietEnd: '21:00', quietStart: '08:00' }, 'quietStart', 'Sluttidspunktet for SMS skal være mindst en time efter starttidspunktet samme døgn'],
    ['less than an hour to send in', { quietEnd: '20:30', quietStart: '21:00' }, 'quietStart', 'Sluttidspunktet for SMS skal være mindst en time efter starttidspunktet samme døgn'],
    ['a sender name too long', { smsSender: 'Jobcenter Søby' }, 'smsSender', 'Skriv afsendernavnet med højst 11 tegn'],
    ['a sender name with æ, ø or å', { smsSender: 'Søby' }, 'smsSender', 'Skriv afsendernavnet med højst 11 tegn'],
    ['a sender name of digits only', { smsSender: '70102030' }, 'smsSender', 'Skriv afsendernavnet med højst 11 tegn'],
    ['a missing sender name', { smsSender: '   ' }, 'smsSender', 'Skriv afsendernavnet på SMS.'],
    ['a phone number with letters', { phone: '70 10 ring' }, 'phone', 'Skriv telefonnummeret med 8 til 15 cifre'],
    ['a phone number too short', { phone: '7010' }, 'phone', 'Skriv telefonnummeret med 8 til 15 cifre'],
    ['a missing phone number', { phone: '' }, 'phone', 'Skriv telefonnummeret, borgerne kan ringe til.'],
    ['a target over 100 per cent', { targetSelfBooking: '101' }, 'targetSelfBooking', 'Skriv målet for selvbooking som et tal fra 0 til 100 med højst én decimal'],
    ['a target with two decimals', { targetJoblogCash: '80,25' }, 'targetJoblogCash', 'Skriv målet for Joblog for jobparate kontanthjælpsmodtagere som et tal'],
    ['a negative target', { targetRating: '-5' }, 'targetRating', 'Skriv målet for tilfredshed med samtalen som et tal'],
    ['a target that is no number', { targetJoblogInsured: 'ni' }, 'targetJoblogInsured', 'Skriv målet for Joblog for forsikrede ledige som et tal'],
    ['an increase over 999.9 per cent', { targetApplications: '1000' }, 'targetApplications', 'Skriv målet for flere jobsøgninger som et tal fra 0 til 999,9'],
    ['a month that is no month', { baselineFrom: '2025-13', baselineTo: '2025-03' }, 'baselineFrom', 'Skriv den første måned som åååå-mm, fx 2025-01.'],
    ['a month written as a date', { baselineFrom: '2025-01', baselineTo: '01-03-2025' }, 'baselineTo', 'Skriv den sidste måned som åååå-mm, fx 2025-03.'],
    ['only the first month', { baselineFrom: '2025-01' }, 'baselineTo', 'Skriv også den sidste måned'],
    ['only the last month', { baselineTo: '2025-01' }, 'baselineFrom', 'Skriv også den første måned'],
    ['the last month before the first', { baselineFrom: '2025-05', baselineTo: '2025-04' }, 'baselineTo', 'Den sidste måned må ikke være før den første måned.'],
    ['a period over 12 months', { baselineFrom: '2024-01', baselineTo: '2025-01' }, 'baselineTo', 'Basisperioden kan højst være 12 måneder.'],
    ['an address that is no address', { accessibilityUrl: 'was.digst.dk/soby' }, 'accessibilityUrl', 'Skriv en fuld adresse, der begynder med https://'],
    ['an address without https', { accessibilityUrl: 'http://was.digst.dk/soby' }, 'accessibilityUrl', 'Skriv en fuld adresse, der begynder med https://'],
    ['a script for an address', { accessibilityUrl: 'javascript:alert(1)' }, 'accessibilityUrl', 'Skriv en fuld adresse, der begynder med https://'],
  ];

  for (const [what, changes, field, message] of cases) {
    it(`${what}: 400 with the message at the field, what was typed kept, nothing changed`, async () => {
      const stored = await snapshot();
      const audits = (await settingsAudits()).length;
      const response = await admin.post(PATH, { ...GOOD, ...changes });
      expect(response.statusCode).toBe(400);
      expect(response.body).toContain('<title>Fejl: Jobcentrets indstillinger');
      expect(response.body).toContain('data-module="error-summary"');
      expect(response.body).toContain(`href="#field-${field}"`);
      expect(response.body).toContain(`id="field-${field}-error"`);
      expect(response.body).toContain(message);
      expect(response.body).toMatch(new RegExp(`id="field-${field}" name="${field}"[^>]*value="${escape((changes[field] ?? '').trim())}"`));
      expect(await snapshot()).toEqual(stored);
      expect(await settingsAudits()).toHaveLength(audits);
    });
  }

  it('gives the messages in English too', async () => {
    const cookie = `${[...admin.cookies].map(([k, v]) => `${k}=${v}`).join('; ')}; lang=en`;
    const body = new URLSearchParams({ ...GOOD, kioskIdle: '5', _csrf: await admin.csrfToken() });
    const response = await ctx.app.inject({ method: 'POST', url: PATH, headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' }, payload: body.toString() });
    expect(response.statusCode).toBe(400);
    expect(response.body).toContain('<title>Error: Jobcentre settings');
    expect(response.body).toContain('Enter a whole number of seconds from 30 to 900.');
  });

  it('an empty form: a message at every required field, and no 500', async () => {
    const response = await admin.post(PATH, {});
    expect(response.statusCode).toBe(400);
    for (const field of Object.keys(GOOD).filter((f) => !['accessibilityUrl', 'baselineFrom', 'baselineTo'].includes(f))) {
      expect(response.body, field).toContain(`href="#field-${field}"`);
    }
  });

  it("a value the database's CHECK refuses becomes a message at the field (400, nothing changed), never a 500", async () => {
    // A stricter rule in the database than in the form, as a later migration might add.
    await sql`ALTER TABLE jobcenter_settings ADD CONSTRAINT jobcenter_settings_kiosk_idle_seconds_test CHECK (kiosk_idle_seconds <> 600)`.execute(ctx.app.db);
    try {
      const stored = await snapshot();
      const audits = (await settingsAudits()).length;
      const response = await admin.post(PATH, { ...GOOD, kioskIdle: '600', moveNotice: '12' });
      expect(response.statusCode).toBe(400);
      expect(response.body).toContain('<title>Fejl: ');
      expect(response.body).toContain('href="#field-kioskIdle"');
      expect(response.body).toContain('Skriv et helt antal sekunder fra 30 til 900.');
      expect(response.body).toMatch(/name="moveNotice"[^>]*value="12"/);
      expect(await snapshot()).toEqual(stored);
      expect(await settingsAudits()).toHaveLength(audits);
    } finally {
      await sql`ALTER TABLE jobcenter_settings DROP CONSTRAINT jobcenter_settings_kiosk_idle_seconds_test`.execute(ctx.app.db);
    }
  });

  it('a form without its CSRF token is refused and changes nothing', async () => {
    const stored = await snapshot();
    const response = await admin.post(PATH, { ...GOOD, kioskIdle: '200' }, { csrf: false });
    expect(response.statusCode).toBe(403);
    expect(await snapshot()).toEqual(stored);
  });
});

describe('who may see and change the settings', () => {
  for (const username of ['jk01', 'teamleder', 'reception', 'borger01']) {
    it(`refuses ${username} with 403, and changes nothing`, async () => {
      const agent = new Agent(ctx.app);
      await agent.logInAs(username);
      const stored = await snapshot();
      const audits = (await settingsAudits()).length;
      const page = await agent.get(PATH);
      expect(page.statusCode).toBe(403);
      expect(page.body).toContain('Du har ikke adgang til siden');
      const post = await agent.post(PATH, { ...GOOD, kioskIdle: '200' });
      expect(post.statusCode).toBe(403);
      expect(await snapshot()).toEqual(stored);
      expect(await settingsAudits()).toHaveLength(audits);
    });
  }

  it('sends someone who is not logged in to the front page', async () => {
    const response = await new Agent(ctx.app).get(PATH);
    expect(response.statusCode).toBe(303);
  });
});
