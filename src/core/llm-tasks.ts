/**
 * The LLM tasks: their inputs (plain data, rendered into prompts by the adapter) and the zod schemas
 * their answers must pass before use. Schemas use nullable, never optional, fields so that OpenAI's
 * strict structured outputs accept them as they are.
 */
import { z } from "zod";

/** Split a raw filename into artist, title and mix (Stage 1 fallback). */
export const SplitSchema = z.object({
  artist: z.string().max(300).nullable(),
  title: z.string().max(300).nullable(),
  mix: z.string().max(200).nullable(),
});
export type SplitAnswer = z.infer<typeof SplitSchema>;

/** Discogs search parameter sets (query building). Only these keys reach the client. */
export const QuerySchema = z.object({
  queries: z
    .array(
      z.object({
        artist: z.string().max(200).nullable(),
        track: z.string().max(200).nullable(),
        release_title: z.string().max(200).nullable(),
        q: z.string().max(300).nullable(),
        label: z.string().max(200).nullable(),
        catno: z.string().max(60).nullable(),
        year: z.string().max(4).nullable(),
      }),
    )
    .min(1)
    .max(3),
  reasoning: z.string().max(600).nullable(),
});
export type QueryAnswer = z.infer<typeof QuerySchema>;

/** Choose among candidates shown; null when none holds the track. */
export const SelectSchema = z.object({
  selected_index: z.number().int().min(0).nullable(),
  confidence: z.number().min(0).max(1),
  reasoning: z.string().max(1200),
});
export type SelectAnswer = z.infer<typeof SelectSchema>;

const estimate = z.object({ value: z.string().max(20), confidence: z.number().min(0).max(1) }).nullable();

/** Descriptive fields only: the facts are Discogs', and nothing here may change them. */
export const DescribeSchema = z.object({
  context: z.object({ background: z.string().max(800).nullable(), impact: z.string().max(800).nullable() }),
  description: z.string().max(1200).nullable(),
  tags: z.array(z.string().max(60)).max(20),
  vocals: z.string().max(80).nullable(),
  atmosphere: z.array(z.string().max(40)).max(10),
  bpm: estimate,
  key: estimate,
});
export type DescribeAnswer = z.infer<typeof DescribeSchema>;

/** Stage 3: the LLM's own proposal for a track Discogs could not confirm. */
export const LlmOnlySchema = z.object({
  album: z.string().max(300).nullable(),
  year: z.number().int().min(1900).max(2100).nullable(),
  country: z.string().max(80).nullable(),
  label: z.string().max(200).nullable(),
  genre: z.array(z.string().max(60)).max(5),
  style: z.array(z.string().max(60)).max(10),
  confidence: z.number().min(0).max(1),
  description: z.string().max(1200).nullable(),
  context: z.object({ background: z.string().max(800).nullable(), impact: z.string().max(800).nullable() }),
  tags: z.array(z.string().max(60)).max(20),
  vocals: z.string().max(80).nullable(),
  atmosphere: z.array(z.string().max(40)).max(10),
});
export type LlmOnlyAnswer = z.infer<typeof LlmOnlySchema>;

/** One candidate as the selection prompt shows it: evidence, not raw JSON. */
export interface SelectCandidate {
  index: number;
  artist: string;
  release: string;
  year: number | null;
  country: string | null;
  label: string | null;
  formats: string[];
  /** Tracklist rows near the title, with durations. */
  rows: { position: string; title: string; duration: string | null }[];
  scorerDistance: number;
}
