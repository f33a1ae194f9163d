/** Whether a value read from the network is a count: a whole number from 0 up that JSON keeps exact. */
export const isCount = (value: unknown): value is number =>
  typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
