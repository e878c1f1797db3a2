import type { FastifyBaseLogger } from 'fastify';
import type { Config } from '../config.ts';
import { createGatewayApiProvider } from './gatewayapi.ts';
import { createLogProvider } from './log-provider.ts';
import type { SmsProvider } from './provider.ts';

/** The provider SMS_PROVIDER names: `log` (the default, sends nothing) or `gatewayapi`. */
export function createSmsProvider(config: Pick<Config, 'sms'>, log: FastifyBaseLogger): SmsProvider {
  switch (config.sms.provider) {
    case 'gatewayapi':
      if (!config.sms.gatewayApiToken) throw new Error('SMS_PROVIDER=gatewayapi needs GATEWAYAPI_TOKEN');
      return createGatewayApiProvider({ baseUrl: config.sms.gatewayApiUrl, token: config.sms.gatewayApiToken });
    case 'log':
      return createLogProvider(log);
  }
}
