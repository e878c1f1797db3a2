import { CORE_SECTIONS, type MyDataSection } from './sections.ts';
import { bookingWindowsSection, meetingHistorySection, meetingsSection } from '../booking/mydata.ts';
import { joblogSection, joblogVersionsSection } from '../joblog/mydata.ts';
import { meetingNotesSection } from '../caseworker/mydata.ts';
import { meetingRatingsSection } from '../ratings/mydata.ts';
import { meetingCheckInsSection } from '../desk/mydata.ts';

/**
 * Every section of the citizen's copy of their data: the core's, then each feature's. A feature that
 * stores something new about citizens adds its sections here (kept apart from sections.ts so features
 * can build on its helpers without an import cycle).
 */
export const MY_DATA_SECTIONS: readonly MyDataSection[] = [
  ...CORE_SECTIONS,
  bookingWindowsSection,
  meetingsSection,
  meetingHistorySection,
  meetingNotesSection,
  meetingRatingsSection,
  meetingCheckInsSection,
  joblogSection,
  joblogVersionsSection,
];
