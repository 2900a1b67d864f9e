import { createMusicMetadataReader } from "../../src/adapters/tags/music-metadata.js";
import { testTagReader } from "../contracts/tag-reader.js";

testTagReader("music-metadata", () => createMusicMetadataReader());
