#!/usr/bin/env bash
# Rebuilds samples/street-360p.mp4: 5 s of real street footage (OpenCV's vtest.avi, Apache-2.0, see
# samples/README.md) scaled to 480x360, with a generated 440 Hz stereo tone as its audio track.
# Needs ../shared/data/video/vtest.avi (or VTEST=path) and ffmpeg on PATH.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=${VTEST:-$here/../../shared/data/video/vtest.avi}
ffmpeg -hide_banner -loglevel error -y -i "$src" -f lavfi -i "sine=frequency=440:sample_rate=48000,aformat=channel_layouts=stereo" \
  -map 0:v:0 -map 1:a:0 -t 5 -vf "scale=480:360:flags=lanczos,format=yuv420p" \
  -c:v libx264 -preset slow -crf 20 -c:a aac -b:a 64k -shortest \
  -metadata title="srvid sample: street (OpenCV vtest.avi)" -movflags +faststart "$here/street-360p.mp4"
ls -l "$here/street-360p.mp4"
