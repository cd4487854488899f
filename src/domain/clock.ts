/** Where licensekit reads the time: a function returning the current instant. Inject one in tests. */
export type Clock = () => Date;

/** The real time. */
export const systemClock: Clock = () => new Date();
