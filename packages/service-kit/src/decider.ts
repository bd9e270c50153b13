/**
 * A service's domain core, in one shape for every service: `decide` reads an input (a command, a
 * consumed event, a worker's result) against the aggregate's state and returns the facts it
 * records, or throws the service's error for a refusal; `evolve` is how one recorded fact changes
 * the state. Both are pure: the runtime reads the state, decides, records and folds; tests give past
 * facts, an input, and expect facts (`deciderSpec` in `@herald/service-kit/testing`).
 *
 * `Context` is what a decision may read besides the state (the time, new ids, stock levels);
 * `Recorded` is a fact as stored, when recording adds to what `decide` returned (an event's
 * metadata), and the fact itself otherwise.
 */
export interface Decider<Input, State, Fact, Context = undefined, Recorded = Fact> {
  /** The state of an aggregate that has no facts yet. */
  readonly initialState: (id: string) => State;
  readonly decide: (input: Input, state: State, context: Context) => Fact[];
  readonly evolve: (state: State, fact: Recorded) => State;
}

/** The state after `facts`, in order, from `state`. */
export function foldFacts<State, Recorded>(
  decider: { readonly evolve: (state: State, fact: Recorded) => State },
  state: State,
  facts: readonly Recorded[],
): State {
  return facts.reduce(decider.evolve, state);
}
