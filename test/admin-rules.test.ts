import { describe, expect, it } from 'vitest';
import {
  buildLookups,
  cleanFileName,
  echo,
  decodeCsv,
  detectDelimiter,
  leavesAnAdmin,
  maskCpr,
  normalisePhone,
  parseCitizenFile,
  parseDate,
  parseTargetGroup,
  planPeriod,
  readCpr,
  validateRow,
  type FileRow,
} from '../server/admin/rules.ts';

const HEADER = 'CPR;Navn;Telefon;Målgruppe;Team;Jobkonsulent;Fra-dato';

describe('reading the values of a citizen file', () => {
  it('turns phone numbers into E.164, Danish by default', () => {
    expect(normalisePhone('12 34 56 78')).toBe('+4512345678');
    expect(normalisePhone('+45 12345678')).toBe('+4512345678');
    expect(normalisePhone('004512345678')).toBe('+4512345678');
    expect(normalisePhone('4512345678')).toBe('+4512345678');
    expect(normalisePhone('+46 70 123 45 67')).toBe('+46701234567');
    expect(normalisePhone('')).toBeNull();
    expect(normalisePhone('1234')).toBeUndefined();
    expect(normalisePhone('+45 1234567')).toBeUndefined();
    expect(normalisePhone('ring efter kl. 10')).toBeUndefined();
  });

  it('reads target groups in code and in Danish', () => {
    expect(parseTargetGroup('jobready_cash_benefit')).toBe('jobready_cash_benefit');
    expect(parseTargetGroup('Jobparat kontanthjælpsmodtager')).toBe('jobready_cash_benefit');
    expect(parseTargetGroup('forsikret ledig')).toBe('insured_unemployed');
    expect(parseTargetGroup('insured_unemployed')).toBe('insured_unemployed');
    expect(parseTargetGroup('aktivitetsparat')).toBeUndefined();
  });

  it('reads dates as YYYY-MM-DD or DD-MM-YYYY and refuses impossible ones', () => {
    expect(parseDate('2026-03-01')).toBe('2026-03-01');
    expect(parseDate('01-03-2026')).toBe('2026-03-01');
    expect(parseDate('1.3.2026')).toBe('2026-03-01');
    expect(parseDate('29-02-2028')).toBe('2028-02-29');
    expect(parseDate('29-02-2026')).toBeUndefined();
    expect(parseDate('2026-13-01')).toBeUndefined();
    expect(parseDate('i morgen')).toBeUndefined();
  });

  it('reads CPR numbers, also when a spreadsheet dropped the leading zero, and masks them', () => {
    expect(readCpr('010190-1234')).toBe('0101901234');
    expect(readCpr('101901234')).toBe('0101901234');
    expect(readCpr('320190-1234')).toBeUndefined();
    expect(readCpr('abc')).toBeUndefined();
    expect(maskCpr('0101901234')).toBe('010190-xxxx');
  });

  it('reads UTF-8 with and without BOM, and Windows-1252 from older Excel', () => {
    expect(decodeCsv(Buffer.from('\uFEFFMålgruppe', 'utf8'))).toBe('Målgruppe');
    expect(decodeCsv(Buffer.from('Målgruppe', 'utf8'))).toBe('Målgruppe');
    expect(decodeCsv(Buffer.from([0x4d, 0xe5, 0x6c]))).toBe('Mål');
  });

  it('finds the separator from the header line', () => {
    expect(detectDelimiter(`${HEADER}\n1;2`)).toBe(';');
    expect(detectDelimiter('CPR,Navn,"Telefon; mobil",Team\n')).toBe(',');
  });
});

describe('what is kept of the file', () => {
  it('never repeats a number that may be a CPR or phone number', () => {
    expect(echo('Team Nord')).toBe('Team Nord');
    expect(echo('010190-1234')).toBe('xxxxxx-xxxx');
    expect(echo('+45 12 34 56 78')).toBe('+xx xx xx xx xx');
    expect(echo('x'.repeat(100))).toHaveLength(61);
    expect(cleanFileName('C:\\Users\\bilu\\borgere 0101901234.csv')).toBe('borgere xxxxxx-xxxx.csv');
    expect(cleanFileName('export-20260301.csv')).toBe('export-20260301.csv');
    expect(cleanFileName('')).toBeNull();
  });
});

describe('the file as a whole', () => {
  it('maps the columns by their headings, in any order, Danish or English', () => {
    const file = parseCitizenFile(Buffer.from('team,from date,name,cpr,phone,target group,caseworker\nTeam Nord,2026-01-01,Jens,0101901234,,forsikret ledig,meho@soby.dk\n'));
    expect(file.ok).toBe(true);
    if (!file.ok) return;
    expect(file.rows[0]?.values).toEqual({
      cpr: '0101901234',
      name: 'Jens',
      phone: '',
      targetGroup: 'forsikret ledig',
      team: 'Team Nord',
      caseworker: 'meho@soby.dk',
      fromDate: '2026-01-01',
    });
    expect(file.rows[0]?.line).toBe(2);
  });

  it('counts lines as the file does: empty lines are skipped but counted', () => {
    const file = parseCitizenFile(Buffer.from(`\uFEFF${HEADER}\r\n\r\n;;;;;;\r\n0101901234;Jens;;forsikret ledig;Team Nord;meho@soby.dk;2026-01-01\r\n`));
    expect(file.ok && file.rows.map((r) => r.line)).toEqual([4]);
  });

  it('refuses files that cannot be imported at all, saying why', () => {
    const problem = (text: string) => {
      const file = parseCitizenFile(Buffer.from(text));
      return file.ok ? undefined : file.problem;
    };
    expect(problem('')).toEqual({ code: 'empty' });
    expect(problem(`${HEADER}\n`)).toEqual({ code: 'noRows' });
    expect(problem('CPR;Navn;Team\n1;2;3\n')).toEqual({ code: 'missingColumns', columns: ['phone', 'targetGroup', 'caseworker', 'fromDate'] });
    expect(problem(`${HEADER};Navn\n1;2;3;4;5;6;7;8\n`)).toEqual({ code: 'duplicateColumns', columns: ['name'] });
    expect(problem(`${HEADER}\n0101901234;"Jens;;;;;\n`)).toMatchObject({ code: 'unreadable' });
  });
});

describe('a row', () => {
  const lookups = buildLookups(
    [{ id: 't-nord', name: 'Team Nord' }],
    [
      { id: 's-mette', name: 'Mette Holm', email: 'meho@soby.dk' },
      { id: 's-jens1', name: 'Jens Berg', email: 'jb1@soby.dk' },
      { id: 's-jens2', name: 'Jens Berg', email: 'jb2@soby.dk' },
    ],
  );
  const row = (values: Partial<Record<string, string>>): FileRow => ({
    line: 7,
    fieldCount: 7,
    values: {
      cpr: '010190-1234',
      name: ' Jens  Jensen ',
      phone: '12345678',
      targetGroup: 'forsikret ledig',
      team: 'team nord',
      caseworker: 'Mette Holm',
      fromDate: '01-03-2026',
      ...values,
    },
  });

  it('is read into typed values, teams and caseworkers looked up by name or e-mail', () => {
    expect(validateRow(row({}), 7, lookups)).toEqual({
      ok: true,
      row: {
        line: 7,
        cpr: '0101901234',
        name: 'Jens Jensen',
        phone: '+4512345678',
        targetGroup: 'insured_unemployed',
        teamId: 't-nord',
        staffId: 's-mette',
        fromDate: '2026-03-01',
      },
    });
    expect(validateRow(row({ caseworker: 'JB2@soby.dk' }), 7, lookups)).toMatchObject({ ok: true, row: { staffId: 's-jens2' } });
  });

  it('is refused with every reason at once, never repeating the CPR or phone number', () => {
    const result = validateRow(
      row({ cpr: '999999-9999', name: '', phone: '123', targetGroup: 'ledig', team: 'Team Vest', caseworker: 'Jens Berg', fromDate: '31-02-2026' }),
      7,
      lookups,
    );
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.refused.line).toBe(7);
    expect(result.refused.cpr).toBeNull();
    expect(result.refused.reasons.map((r) => r.code)).toEqual([
      'cprInvalid',
      'nameMissing',
      'phoneInvalid',
      'targetGroupUnknown',
      'teamUnknown',
      'caseworkerAmbiguous',
      'fromDateInvalid',
    ]);
    expect(JSON.stringify(result.refused)).not.toMatch(/999999|123/);
  });

  it('with the wrong number of fields is refused as such', () => {
    const result = validateRow({ line: 9, fieldCount: 5, values: undefined }, 7, lookups);
    expect(result).toEqual({ ok: false, refused: { line: 9, cpr: null, reasons: [{ code: 'columnCount', params: { found: 5, expected: 7 } }] } });
  });

  it('shows a masked CPR number when the CPR number was readable', () => {
    const result = validateRow(row({ team: '' }), 7, lookups);
    expect(result.ok === false && result.refused.cpr).toBe('010190-xxxx');
  });
});

describe('periods', () => {
  const open = (value: string, from: string) => ({ id: 'p1', value, from, to: null });
  it('leaves a period with the same value alone, whatever the from date', () => {
    expect(planPeriod(open('a', '2026-01-01'), 'a', '2026-03-01')).toEqual({ kind: 'keep' });
    expect(planPeriod(open('a', '2026-01-01'), 'a', '2025-03-01')).toEqual({ kind: 'keep' });
  });
  it('opens the first period', () => {
    expect(planPeriod(undefined, 'a', '2026-03-01')).toEqual({ kind: 'open' });
  });
  it('closes a different current period at the from date and opens a new one', () => {
    expect(planPeriod(open('a', '2026-01-01'), 'b', '2026-03-01')).toEqual({ kind: 'closeAndOpen', closeId: 'p1' });
  });
  it('replaces a period that starts on the from date', () => {
    expect(planPeriod(open('a', '2026-03-01'), 'b', '2026-03-01')).toEqual({ kind: 'replace', id: 'p1' });
  });
  it('refuses to rewrite a period that started after the from date', () => {
    expect(planPeriod(open('a', '2026-04-01'), 'b', '2026-03-01')).toEqual({ kind: 'conflict', since: '2026-04-01' });
  });
  it('handles a period that has ended', () => {
    const ended = { id: 'p1', value: 'a', from: '2026-01-01', to: '2026-02-01' };
    expect(planPeriod(ended, 'b', '2026-03-01')).toEqual({ kind: 'open' });
    expect(planPeriod(ended, 'a', '2026-03-01')).toEqual({ kind: 'open' });
    expect(planPeriod(ended, 'a', '2026-01-15')).toEqual({ kind: 'reopen', id: 'p1' });
    expect(planPeriod(ended, 'b', '2026-01-15')).toEqual({ kind: 'closeAndOpen', closeId: 'p1' });
  });
});

describe('the last admin', () => {
  it('cannot lose the role or be deactivated', () => {
    expect(leavesAnAdmin(['me'], 'me', false)).toBe(false);
    expect(leavesAnAdmin(['me', 'other'], 'me', false)).toBe(true);
    expect(leavesAnAdmin(['me'], 'me', true)).toBe(true);
    expect(leavesAnAdmin(['me'], 'someone', false)).toBe(true);
  });
});
