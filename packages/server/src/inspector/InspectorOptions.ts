/** `ServerOptions.inspector`: the operator's routes, off unless given. */
export interface InspectorOptions {
  /** Where its routes live. Default `/inspector`. */
  path?: string
  /**
   * Its own bearer secret (`Authorization: Bearer <secret>`), independent of the app's
   * `auth`, so an anonymous app can still protect it. Required, not empty.
   */
  secret: string
}

/** What an inspector action names: terminate one connection, or crash one running room. */
export type InspectorAction =
  | { action: 'terminate'; connectionId: string }
  | { action: 'crash'; roomId: string }
