import { SegmentedMessage } from 'sms-segments-calculator';

/**
 * How many SMS a text costs. A text in the GSM-7 alphabet (which holds æ, ø and å, and é, ü, ...)
 * fits 160 characters in one SMS and 153 in each part of a longer one; a character of the GSM-7
 * extension table (€ [ ] { } | ~ ^ \) takes two places. One character outside GSM-7 (an en dash, a
 * typographic quote, š, an emoji) turns the whole text into UCS-2: 70 characters in one SMS, 67 per
 * part. Counted by sms-segments-calculator (Twilio's), which handles both tables and the user data
 * header of long messages.
 */

export type SmsEncoding = 'GSM-7' | 'UCS-2';

export interface SegmentCount {
  encoding: SmsEncoding;
  segments: number;
  /** The characters that forced UCS-2 (empty for GSM-7). */
  nonGsmCharacters: string[];
}

export function countSegments(text: string): SegmentCount {
  const message = new SegmentedMessage(text, 'auto');
  return { encoding: message.encodingName, segments: message.segmentsCount, nonGsmCharacters: message.getNonGsmCharacters() };
}
