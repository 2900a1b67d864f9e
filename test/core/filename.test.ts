import { describe, expect, it } from "vitest";
import { FILENAME_PATTERNS, parseFilename, parseTitleText } from "../../src/core/filename.js";

type Case = [input: string, artist: string | null, title: string | null, extra?: Record<string, unknown>];

// Real-world shapes; many are the YouTube titles of the shared Discogs dump sample.
const CASES: Case[] = [
  ["T-Fire - Say A Prayer.flac", "T-Fire", "Say A Prayer"],
  // A long bracket of capitals once made the catalogue-number regex backtrack for seconds.
  [
    "LOW POP SUICIDE - HEY YOU [WORLD DOMINATION RECORDINGS WDOM004SCD].MP3",
    "Low Pop Suicide",
    "Hey You",
    { label: "WORLD DOMINATION RECORDINGS", catno: "WDOM004SCD" },
  ],
  ["Artist - Title [SK 032]", "Artist", "Title", { catno: "SK 032" }],
  // Other separators uploaders use: yt-dlp's "⧸" for "/", "~", "|", a colon after a short name, "...".
  ["Blue Six ⧸ Music and Wine [yOwpUXyp2WI].opus", "Blue Six", "Music and Wine", { pattern: "spaced-slash" }],
  ["Groove Collective ~ Everything Is Changing", "Groove Collective", "Everything Is Changing"],
  ["Querido Pedagogo | EDREDÓN", "Querido Pedagogo", "Edredón"],
  [
    "Kerry Chandler ~ What is Digital Soul  123⧸Bpm [g5ALv6hUPeA].opus",
    "Kerry Chandler",
    "What is Digital Soul",
  ],
  ["Kevin Yost: If She Only Knew", "Kevin Yost", "If She Only Knew", { pattern: "colon" }],
  ["Chapter One: The Beginning", null, "Chapter One: The Beginning"],
  [
    "Clarence Frogman Henry.....Lonely Street",
    "Clarence Frogman Henry",
    "Lonely Street",
    { pattern: "ellipsis" },
  ],
  ["World Receiver by Tetsu Inoue, 1996", "Tetsu Inoue", "World Receiver", { pattern: "title-by-artist" }],
  ["Stand by Me.mp3", null, "Stand by Me"],
  [
    "T-Fire - Say A Prayer [Nigeria] Soul (1979).opus",
    "T-Fire",
    "Say A Prayer",
    { year: 1979, country: "Nigeria", genre: "Funk / Soul" },
  ],
  ["The Persuader – Östermalm", "The Persuader", "Östermalm"],
  ["The Persuader — Östermalm", "The Persuader", "Östermalm"],
  ["Artist-Title.mp3", "Artist", "Title", { pattern: "tight-dash" }],
  ["01 - Kevin Yost - If She Only Knew.mp3", "Kevin Yost", "If She Only Knew", { trackNumber: 1 }],
  ["01. Kevin Yost - If She Only Knew.mp3", "Kevin Yost", "If She Only Knew", { trackNumber: 1 }],
  ["1-01 Pink Floyd - Arnold Layne.flac", "Pink Floyd", "Arnold Layne", { trackNumber: 1 }],
  ["A1 The Persuader - Östermalm.mp3", "The Persuader", "Östermalm"],
  ["10 Years Today.mp3", null, "10 Years Today"],
  ["2 The Dark.mp3", null, "2 The Dark"],
  ["artist_-_title-(extended_mix)-web-2004.mp3", "Artist", "Title", { mix: "Extended Mix", year: 2004 }],
  [
    "Rick Astley - Never Gonna Give You Up (Official Music Video) [dQw4w9WgXcQ].opus",
    "Rick Astley",
    "Never Gonna Give You Up",
  ],
  ["Jeff Buckley - Hallelujah (Official Video)", "Jeff Buckley", "Hallelujah"],
  ["Blue Six - Music & Wine (Original Video) HQ", "Blue Six", "Music & Wine"],
  ["Culture Beat - Pay No Mind Music Video", "Culture Beat", "Pay No Mind"],
  [
    "Pink Floyd - Shine On You Crazy Diamond [Official Music Video]",
    "Pink Floyd",
    "Shine On You Crazy Diamond",
  ],
  ["Donald Fagen - New Frontier (Video)", "Donald Fagen", "New Frontier"],
  ["Kevin Yost - Road Of Life [Free DL]", "Kevin Yost", "Road Of Life"],
  ["Peace Division -  Got 2 Get (Vocal Mix)", "Peace Division", "Got 2 Get", { mix: "Vocal Mix" }],
  ["Vince Watson - Moments In Time (Original Mix)", "Vince Watson", "Moments In Time", { mix: null }],
  ["Artist - Title (Radio Edit)", "Artist", "Title", { mix: "Radio Edit" }],
  ["Artist - Title (Extended Mix)", "Artist", "Title", { mix: "Extended Mix" }],
  [
    "Culture Beat \u200e– Pay No Mind (Aboria GC Remix)",
    "Culture Beat",
    "Pay No Mind",
    { mix: "Aboria GC Remix" },
  ],
  ["Artist - Title (Dub)", "Artist", "Title", { mix: "Dub" }],
  ["Artist - Title (Live)", "Artist", "Title", { mix: "Live" }],
  // A remaster note is the same recording, newly mastered: no mix, and its year is not the track's.
  ["Artist - Title (Remastered 2010)", "Artist", "Title", { mix: null }],
  ["Whisky River [2013 Remaster]", null, "Whisky River", { mix: null }],
  [
    "Culture Beat - Pay No Mind (ft Kim Sanders)",
    "Culture Beat",
    "Pay No Mind",
    { featuring: ["Kim Sanders"] },
  ],
  ["Artist feat. Guest - Title", "Artist", "Title", { featuring: ["Guest"] }],
  [
    "Artist - Title (with Guest One & Guest Two)",
    "Artist",
    "Title",
    { featuring: ["Guest One", "Guest Two"] },
  ],
  ["Artist - Title featuring Guest", "Artist", "Title", { featuring: ["Guest"] }],
  ["Ayane Fukumi - The Witch's Dick [DCRPS069]", "Ayane Fukumi", "The Witch's Dick", { catno: "DCRPS069" }],
  ["ARTIST - TITLE [LABEL CAT001]", "Artist", "Title", { label: "LABEL", catno: "CAT001" }],
  [
    "Jedi Knights - Disco Magic (Secret Ingredients Mix) (DMC Publishing)",
    "Jedi Knights",
    "Disco Magic",
    { mix: "Secret Ingredients Mix" },
  ],
  ["Def Leppard   'Scar'", "Def Leppard", "Scar"],
  ["RUNNING WILD Störtebeker", "Running Wild", "Störtebeker"],
  ["Кино - Группа крови", "Кино", "Группа крови"],
  ["宇多田ヒカル - First Love", "宇多田ヒカル", "First Love"],
  [
    "Jaromír Mayer a Zuzka Černá - Taková je láska (1978)",
    "Jaromír Mayer a Zuzka Černá",
    "Taková je láska",
    { year: 1978 },
  ],
  ["THE ARCHIES - Sugar sugar (1969)", "The Archies", "Sugar sugar", { year: 1969 }],
  ["Kevin Yost - Topic - If She Only Knew", "Kevin Yost", "Topic - If She Only Knew"],
  ["Artist - Title - Topic", "Artist", "Title"],
  ["deadmau5 - Strobe", "deadmau5", "Strobe"],
  ["Lou Reed   Ride Into The Sun with Lyrics in Description", "Lou Reed", "Ride Into The Sun"],
  ["Roberta Flack - The Closer I Get To You (Tradução)", "Roberta Flack", "The Closer I Get To You"],
  ["Muddy Waters- I Don't Know Why (Vinyl LP)", "Muddy Waters", "I Don't Know Why"],
  ["Gunz for Hire - Kings of Mayhem (official videoclip)", "Gunz for Hire", "Kings of Mayhem"],
  ["#53 Fredrik Stark - Nu Dub", "Fredrik Stark", "Nu Dub"],
  [
    "{Vinyl} Bedrock - Heaven Scent (Evolution Dub Mix)",
    "Bedrock",
    "Heaven Scent",
    { mix: "Evolution Dub Mix" },
  ],
  ["PREMIERE: Kofe - Computer (KGBK Edit)", "Kofe", "Computer", { mix: "KGBK Edit" }],
  ["[FullHD] 130220 AKB48 - So long!", "Akb48", "So long!"],
  ["PLUS8133 – F.U.S.E. - Train-trac", "F.U.S.E.", "Train-trac", { catno: "PLUS8133" }],
  // A name with digits is no catalogue number; a dashed last part is a mix when it reads as one.
  ["UB40 - Red Red Wine - Live", "UB40", "Red Red Wine", { mix: "Live" }],
  ["Artist - Title - Extended Mix", "Artist", "Title", { mix: "Extended Mix" }],
  ["Artist - Title - Pt. 2", "Artist", "Title - Pt. 2", { mix: null }],
  [
    "Josh Wink - French Kiss - Ariel Remix (C) 2000",
    "Josh Wink",
    "French Kiss",
    { mix: "Ariel Remix", year: 2000 },
  ],
  ["Budgie - Budgie - 04 - Guts", "Budgie", "Guts", { trackNumber: 4, album: "Budgie" }],
  [
    "Tony Bennett & Bill Evans -  09 -  Days of Wine and Roses",
    "Tony Bennett & Bill Evans",
    "Days of Wine and Roses",
    { trackNumber: 9 },
  ],
  ["Devo - Whip It - Vinyl", "Devo", "Whip It"],
  ["PLUS8133 - Train-trac", "Plus8133", "Train-trac"],
  ["#1 Crush - Garbage", "#1 Crush", "Garbage"],
];

describe("parseFilename", () => {
  it.each(CASES)("%s", (input, artist, title, extra = {}) => {
    const r = parseFilename(input);
    expect(r.artist).toBe(artist);
    expect(r.title).toBe(title);
    for (const [k, v] of Object.entries(extra)) {
      if (k === "mix" || k === "featuring" || k === "pattern") expect(r[k]).toEqual(v);
      else expect(r.hints[k as keyof typeof r.hints]).toEqual(v);
    }
  });

  it("marks a wide-gap split as order-uncertain", () => {
    const r = parseFilename("mystic lady   t.rex");
    expect(r).toMatchObject({ artist: "Mystic Lady", title: "T.Rex", orderUncertain: true });
  });

  it("never throws on hostile input", () => {
    for (const s of ["", " ", "-", " - ", "()", "[", "\u0000\u0001", "a".repeat(5000), "((((((", "— — —"]) {
      expect(() => parseFilename(s)).not.toThrow();
    }
  });

  it("keeps the patterns ordered most specific first", () => {
    expect(FILENAME_PATTERNS[0]?.name).toBe("spaced-dash");
    expect(FILENAME_PATTERNS.map((p) => p.name)).toContain("wide-gap");
  });
});

describe("parseTitleText (a title tag)", () => {
  it.each([
    ["Say A Prayer - Radio Edit", "Say A Prayer", "Radio Edit"],
    ["Say A Prayer (Extended Mix)", "Say A Prayer", "Extended Mix"],
    ["Say A Prayer - Original Mix", "Say A Prayer", null],
    ["Rosalita - Come Out Tonight", "Rosalita - Come Out Tonight", null],
  ])("%s", (tag, title, mix) => {
    expect(parseTitleText(tag)).toMatchObject({ title, mix });
  });
});
