/**
 * The scoring package: one distance (distance.ts) over named penalties of tracks (track.ts), releases
 * (release.ts) and albums (album.ts), and one way from a distance to a verdict (recommend.ts).
 */

export { ALBUM_WEIGHTS, type AlbumWeights, TRACK_WEIGHTS, type TrackWeights } from "../policy.js";
export * from "./album.js";
export * from "./distance.js";
export * from "./explain.js";
export * from "./recommend.js";
export * from "./release.js";
export * from "./track.js";
