/**
 * Flow-control windows both sides advertise: large enough that a 64 KiB
 * message never waits for a WINDOW_UPDATE. Client connections live in
 * `subchannel.ts`.
 */
export const streamWindowBytes = 1 << 20;
export const connectionWindowBytes = 16 << 20;
