// @ts-check
// Your hub and your publishable key (README.md says how to make one). A publishable key is meant to
// be seen: it can only read free slots and send enquiries, and only from the origins it allows.
export const hubUrl = 'https://switchboard.example.com';
export const publishableKey = 'sbpk_live_replace_me';
// The business's time zone (the hub's SWITCHBOARD_TIME_ZONE): days and times are shown in it.
export const timeZone = 'Europe/London';
