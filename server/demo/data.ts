/**
 * The demo jobcenter's people. Names are ordinary Danish names (and a few others, as in any jobcenter);
 * phone numbers are from the +45 9999 00xx block and CPR numbers are test numbers that fail the modulus
 * 11 check, so neither reaches a real person.
 */
export const DEMO_JOBCENTER = {
  id: '0999',
  name: 'Jobcenter Søby',
  address: 'Søndergade 2, 8700 Søby',
  phone: '+45 7010 2030',
  smsSenderName: 'JobcSoby',
};

export const DEMO_TEAMS = ['Team Nord', 'Team Syd'] as const;

/** The issuer of `npm run dev:idp`: demo staff are mapped to it, so staff login works in development. */
export const DEV_IDP_ISSUER = 'http://127.0.0.1:3001';

export interface DemoStaff {
  username: string;
  name: string;
  email: string;
  phone: string;
  roles: Array<'caseworker' | 'receptionist' | 'team_lead' | 'admin'>;
  team: (typeof DEMO_TEAMS)[number] | null;
}

export const DEMO_STAFF: DemoStaff[] = [
  { username: 'jk01', name: 'Mette Holm', email: 'meho@soby.dk', phone: '+45 7010 2041', roles: ['caseworker'], team: 'Team Nord' },
  { username: 'jk02', name: 'Anders Kjær', email: 'ankj@soby.dk', phone: '+45 7010 2042', roles: ['caseworker'], team: 'Team Nord' },
  { username: 'jk03', name: 'Fatima Yilmaz', email: 'fayi@soby.dk', phone: '+45 7010 2043', roles: ['caseworker'], team: 'Team Syd' },
  { username: 'jk04', name: 'Søren Dalgaard', email: 'soda@soby.dk', phone: '+45 7010 2044', roles: ['caseworker'], team: 'Team Syd' },
  { username: 'reception', name: 'Lone Winther', email: 'lowi@soby.dk', phone: '+45 7010 2030', roles: ['receptionist'], team: null },
  { username: 'teamleder', name: 'Henrik Bach', email: 'heba@soby.dk', phone: '+45 7010 2050', roles: ['team_lead'], team: 'Team Nord' },
  { username: 'admin', name: 'Birgitte Lund', email: 'bilu@soby.dk', phone: '+45 7010 2060', roles: ['admin'], team: null },
];

const FIRST_NAMES = [
  'Jens', 'Maria', 'Ahmed', 'Camilla', 'Mikkel', 'Sofie', 'Lars', 'Aisha', 'Jonas', 'Louise',
  'Peter', 'Nadia', 'Kasper', 'Line', 'Omar', 'Julie', 'Rasmus', 'Emma', 'Ali', 'Mette',
  'Thomas', 'Ida', 'Martin', 'Zainab', 'Frederik', 'Anne', 'Jakob', 'Katarzyna', 'Nikolaj', 'Helle',
  'Mads', 'Cecilie', 'Hassan', 'Pia', 'Christian', 'Amalie', 'Tobias', 'Dorte', 'Piotr', 'Signe',
];
const LAST_NAMES = [
  'Nielsen', 'Jensen', 'Hansen', 'Pedersen', 'Andersen', 'Christensen', 'Larsen', 'Sørensen', 'Rasmussen', 'Jørgensen',
  'Petersen', 'Madsen', 'Kristensen', 'Olsen', 'Thomsen', 'Poulsen', 'Johansen', 'Møller', 'Mortensen', 'Østergaard',
];

export interface DemoCitizen {
  username: string;
  name: string;
  /** E.164; null for the one citizen without a mobile number. */
  phone: string | null;
  cpr: string;
  language: 'da' | 'en';
  team: (typeof DEMO_TEAMS)[number];
  caseworker: string;
}

/** Formats a number n (1-40) as two digits. */
const two = (n: number) => String(n).padStart(2, '0');

export function demoPhone(n: number): string {
  return `+45999900${two(n)}`;
}

/**
 * Test CPR numbers: a real-looking birth date and a serial chosen so the modulus 11 check fails, as the
 * CPR office's test numbers do.
 */
export function demoCpr(n: number): string {
  const day = two(((n * 7) % 28) + 1);
  const month = two(((n * 5) % 12) + 1);
  const year = two(60 + ((n * 3) % 40));
  for (let serial = 4000 + n * 10; ; serial++) {
    const digits = `${day}${month}${year}${serial}`;
    const weights = [4, 3, 2, 7, 6, 5, 4, 3, 2, 1];
    const sum = [...digits].reduce((acc, d, i) => acc + Number(d) * (weights[i] ?? 0), 0);
    if (sum % 11 !== 0) return digits;
  }
}

export const DEMO_CITIZENS: DemoCitizen[] = Array.from({ length: 40 }, (_, index) => {
  const n = index + 1;
  const team = n <= 20 ? DEMO_TEAMS[0] : DEMO_TEAMS[1];
  const caseworker = n <= 20 ? (n % 2 === 1 ? 'jk01' : 'jk02') : n % 2 === 1 ? 'jk03' : 'jk04';
  return {
    username: `borger${two(n)}`,
    name: `${FIRST_NAMES[index]} ${LAST_NAMES[(index * 7) % LAST_NAMES.length]}`,
    // borger40 has no mobile number: they are the phone list's, not the SMS sender's.
    phone: n === 40 ? null : demoPhone(n),
    cpr: demoCpr(n),
    language: n % 10 === 3 ? 'en' : 'da',
    team,
    caseworker,
  };
});
