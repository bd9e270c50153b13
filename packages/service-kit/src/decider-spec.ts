import { expect } from "vitest";
import { type Decider, foldFacts } from "./decider.js";

export interface DeciderSpecOptions<Fact, Context, Recorded> {
  /** The aggregate the facts are about (its initial state's id). */
  readonly id: string;
  /** What `decide` reads besides the state when a `when` names nothing else. */
  readonly context: Context;
  /** A decided fact as recorded, for the state after the decision; the fact itself by default. */
  readonly record?: (fact: Fact) => Recorded;
}

/** What one decision came to: its facts, or its refusal. */
export interface Decision<State, Fact> {
  /** Expects exactly these facts, in this order; returns them. */
  thenDecides(...expected: Fact[]): Fact[];
  /** Expects a refusal: an `errorClass` with this code (and a message matching `message`). */
  thenRefused<E extends Error>(
    errorClass: abstract new (...args: never[]) => E,
    code: string,
    message?: RegExp,
  ): E;
  /** The facts decided (throws the refusal, if it was one). */
  readonly facts: Fact[];
  /** The state after the facts decided. */
  readonly state: State;
}

/**
 * Given/When/Then for a decider: `given(...past).when(input, context?).thenDecides(...facts)` or
 * `.thenRefused(ErrorClass, code)`. The same vocabulary for every service's domain tests.
 */
export function deciderSpec<Input, State, Fact, Context, Recorded>(
  decider: Decider<Input, State, Fact, Context, Recorded>,
  options: DeciderSpecOptions<Fact, Context, Recorded>,
) {
  const record = options.record ?? ((fact: Fact) => fact as unknown as Recorded);
  return function given(...past: Recorded[]) {
    const state = foldFacts(decider, decider.initialState(options.id), past);
    return {
      /** The state the past facts fold to. */
      state,
      when(input: Input, context: Context = options.context): Decision<State, Fact> {
        const decide = () => decider.decide(input, state, context);
        return {
          thenDecides(...expected) {
            const facts = decide();
            expect(facts).toEqual(expected);
            return facts;
          },
          thenRefused(errorClass, code, message) {
            let caught: unknown;
            try {
              decide();
            } catch (error) {
              caught = error;
            }
            expect(caught).toBeInstanceOf(errorClass);
            expect(caught).toMatchObject({ code });
            if (message) expect((caught as Error).message).toMatch(message);
            return caught as never;
          },
          get facts() {
            return decide();
          },
          get state() {
            return foldFacts(decider, state, decide().map(record));
          },
        };
      },
    };
  };
}
