#!/usr/bin/env bash
# Generates the small real audio files in test/fixtures/audio (about a second of tone each).
# Needs ffmpeg (Debian: apt-get install ffmpeg). The tests use the committed files; run this only to remake them.
set -euo pipefail
out="$(cd "$(dirname "$0")/.." && pwd)/test/fixtures/audio"
mkdir -p "$out"
cd "$out"
tone=(-f lavfi -i "sine=frequency=440:duration=1.2:sample_rate=8000" -ac 1)
common=(-y -hide_banner -loglevel error)
exact=(-map_metadata -1 -fflags +bitexact -flags:a +bitexact)

# The plan's two samples, with exactly these names.
ffmpeg "${common[@]}" "${tone[@]}" "${exact[@]}" -c:a flac \
  -metadata artist="T-Fire" -metadata title="Say A Prayer" "T-Fire - Say A Prayer.flac"
ffmpeg "${common[@]}" -f lavfi -i "sine=frequency=440:duration=1.2:sample_rate=48000" -ac 1 \
  -c:a libopus -b:a 6k "T-Fire - Say A Prayer [Nigeria] Soul (1979).opus"

# ID3v2.4 with every field we read.
ffmpeg "${common[@]}" "${tone[@]}" "${exact[@]}" -c:a libmp3lame -b:a 8k -id3v2_version 4 \
  -metadata artist="The Persuader" -metadata title="Östermalm" -metadata album="Stockholm" \
  -metadata date="1999" -metadata genre="Deep House" -metadata publisher="Svek" \
  -metadata CATALOGNUMBER="SK032" -metadata track="1/6" "01 - The Persuader - Östermalm.mp3"
# ID3v2.3.
ffmpeg "${common[@]}" "${tone[@]}" "${exact[@]}" -c:a libmp3lame -b:a 8k -id3v2_version 3 \
  -metadata artist="Rick Astley" -metadata title="Never Gonna Give You Up" -metadata date="1987" \
  "id3v23.mp3"
# ID3v1 only: ffmpeg's muxer drops it with no ID3v2, so append the 128-byte tag by hand:
# "TAG", title[30], artist[30], album[30], year[4], comment[30], genre byte (255 = none).
ffmpeg "${common[@]}" "${tone[@]}" "${exact[@]}" -c:a libmp3lame -b:a 8k -id3v2_version 0 "id3v1-only.mp3"
{ printf 'TAG%-30.30s%-30.30s%-30.30s%-4.4s%-30.30s' "Pay No Mind" "Culture Beat" "" "1993" ""; printf '\xff'; } \
  >> "id3v1-only.mp3"
# Ogg Vorbis, Vorbis comments, with a Discogs release id as taggers write it.
ffmpeg "${common[@]}" -f lavfi -i "sine=frequency=440:duration=1.2:sample_rate=22050" -ac 1 "${exact[@]}" -c:a libvorbis -q:a 0 \
  -metadata artist="Blue Six" -metadata title="Music & Wine (Funkaphonic Vocal)" -metadata DISCOGS_RELEASE_ID="11" \
  "vorbis.ogg"
# M4A (AAC in MP4).
ffmpeg "${common[@]}" "${tone[@]}" "${exact[@]}" -c:a aac -b:a 16k \
  -metadata artist="Kevin Yost" -metadata title="If She Only Knew" -metadata album="Road Of Life" \
  -metadata date="1997" "aac.m4a"
# No tags at all: only the filename speaks.
ffmpeg "${common[@]}" "${tone[@]}" "${exact[@]}" -c:a libmp3lame -b:a 8k -id3v2_version 0 "Mateo & Matos - Groove 4 U.mp3"
# Junk tags: the filename must win.
ffmpeg "${common[@]}" "${tone[@]}" "${exact[@]}" -c:a libmp3lame -b:a 8k -id3v2_version 3 \
  -metadata artist="Unknown Artist" -metadata title="Track 01" "DJ Rasoul - You Feel That.mp3"
# Not audio at all, with an audio name.
printf 'ID3\x04\x00\x00\x00\x00\x00\x7fthis is not audio' > "corrupt.mp3"
ls -l "$out"
