import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto';

/**
 * CPR numbers are stored encrypted (AES-256-GCM) and found by a keyed hash (HMAC-SHA256), both keys
 * derived from DATA_KEY. Without the key a database copy reveals no CPR number, and the hash cannot be
 * reversed by trying every birth date.
 */
export interface CprCipher {
  encrypt(cpr: string): string;
  decrypt(stored: string): string;
  hash(cpr: string): string;
}

export class InvalidCprError extends Error {
  constructor() {
    super('A CPR number has 10 digits (DDMMYY-XXXX)');
  }
}

/** "010190-1234", "0101901234" or "010190 1234" -> "0101901234"; anything else is refused. */
export function normaliseCpr(input: string): string {
  const digits = input.replace(/[\s-]/g, '');
  if (!/^\d{10}$/.test(digits)) throw new InvalidCprError();
  const day = Number(digits.slice(0, 2));
  const month = Number(digits.slice(2, 4));
  if (day < 1 || day > 31 || month < 1 || month > 12) throw new InvalidCprError();
  return digits;
}

export function cprCipher(dataKey: string): CprCipher {
  const derive = (purpose: string) => Buffer.from(hkdfSync('sha256', dataKey, 'jobcenter-portal', purpose, 32));
  const encryptionKey = derive('cpr-encryption');
  const hashKey = derive('cpr-lookup-hash');
  return {
    encrypt(cpr) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', encryptionKey, iv);
      const body = Buffer.concat([cipher.update(normaliseCpr(cpr), 'utf8'), cipher.final()]);
      return ['v1', iv.toString('base64'), cipher.getAuthTag().toString('base64'), body.toString('base64')].join('.');
    },
    decrypt(stored) {
      const [version, iv, tag, body] = stored.split('.');
      if (version !== 'v1' || !iv || !tag || !body) throw new Error('Unknown CPR encryption format');
      const decipher = createDecipheriv('aes-256-gcm', encryptionKey, Buffer.from(iv, 'base64'));
      decipher.setAuthTag(Buffer.from(tag, 'base64'));
      return Buffer.concat([decipher.update(Buffer.from(body, 'base64')), decipher.final()]).toString('utf8');
    },
    hash(cpr) {
      return createHmac('sha256', hashKey).update(normaliseCpr(cpr)).digest('hex');
    },
  };
}
