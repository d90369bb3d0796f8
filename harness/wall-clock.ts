/** Wall-clock `HH:MM` (24-hour) of an instant in a time zone, for tests that read slots as people do. */
export const wallClock = (at: Date | string, timeZone = 'Europe/London') =>
  new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(
    new Date(at),
  );
