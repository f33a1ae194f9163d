export { saveProfile, type SavedProfile } from './save-profile.js';
export type { Profile } from './profile-store.js';
