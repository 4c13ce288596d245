/**
 * What a contributor's name and the providers of its scope may be. No imports: the command
 * line's argument parsers use these too, and must stay light to load.
 */

// The name is part of every batch origin (`contributor:<name>`), of receipts and of the
// audit route's query string: plain characters only.
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** Why `name` cannot be a contributor's name, or null when it can. */
export function contributorNameProblem(name: string): string | null {
  return NAME.test(name) ? null : "a contributor name is 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit";
}

/**
 * Why `provider` cannot be in a token's scope, or null. A provider is matched exactly as the
 * importers read it (trimmed); commas are kept out so `contributors list` can join them.
 */
export function providerProblem(provider: string): string | null {
  if (provider !== provider.trim() || provider === "") return "a provider is a non-empty name without surrounding spaces";
  if (provider.length > 200) return "a provider name has at most 200 characters";
  if (/[\p{Cc},]/u.test(provider)) return "a provider name has no commas or control characters";
  return null;
}

