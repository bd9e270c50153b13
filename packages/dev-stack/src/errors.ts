/** A stack problem the user can act on: `message` says what broke, `hint` says what to do. */
export class StackError extends Error {
  override readonly name = "StackError";
  constructor(
    message: string,
    readonly hint: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
