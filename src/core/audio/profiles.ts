/**
 * Key profiles: how much each scale degree of a key weighs in music in that key, tonic first
 * (I, bII, II, bIII, III, IV, #IV, V, bVI, VI, bVII, VII). A chroma is compared with each profile turned
 * to each of the twelve tonics. These are published data, cited with each table.
 */

export interface KeyProfile {
  major: readonly number[];
  minor: readonly number[];
  /** Where the numbers come from. */
  source: string;
}

export const KEY_PROFILES = {
  /** Probe-tone ratings of listeners. */
  krumhansl: {
    major: [6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88],
    minor: [6.33, 2.68, 3.52, 5.38, 2.6, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17],
    source:
      "Krumhansl, C. L. & Kessler, E. J. (1982). Tracing the dynamic changes in perceived tonal organization " +
      "in a spatial representation of musical keys. Psychological Review 89(4), 334-368.",
  },
  /** Revised by music theory, to fix the K-K profile's known confusions. */
  temperley: {
    major: [5, 2, 3.5, 2, 4.5, 4, 2, 4.5, 2, 3.5, 1.5, 4],
    minor: [5, 2, 3.5, 4.5, 2, 4, 2, 4.5, 3.5, 2, 1.5, 4],
    source:
      "Temperley, D. (1999). What's key for key? The Krumhansl-Schmuckler key-finding algorithm reconsidered. " +
      "Music Perception 17(1), 65-100.",
  },
  /** Derived from electronic dance music (Beatport excerpts): a heavy tonic and fifth, a flatter rest. */
  edma: {
    major: [1, 0.29, 0.5, 0.4, 0.6, 0.56, 0.32, 0.8, 0.31, 0.45, 0.42, 0.39],
    minor: [1, 0.31, 0.44, 0.58, 0.33, 0.49, 0.29, 0.78, 0.43, 0.29, 0.53, 0.32],
    source:
      "Faraldo, Á., Gómez, E., Jordà, S. & Herrera, P. (2016). Key estimation in electronic dance music. " +
      "Advances in Information Retrieval (ECIR 2016), LNCS 9626, 335-347.",
  },
} as const satisfies Record<string, KeyProfile>;

export type KeyProfileName = keyof typeof KEY_PROFILES;
export const KEY_PROFILE_NAMES = Object.keys(KEY_PROFILES) as KeyProfileName[];
