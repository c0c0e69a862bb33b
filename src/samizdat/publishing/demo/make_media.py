"""How the demo's audio and video files were made (run by hand; the demo never runs this).

``python src/samizdat/publishing/demo/make_media.py`` draws every frame with Pillow and
computes every sample here, then has ``ffmpeg`` (not needed by anything else) encode them into
``podcast-episode.mp3`` and ``night-market.webm`` beside this file, without any metadata; it
also draws the podcasts' default cover, ``static/samizdat/podcast-cover.png``.
"""

from __future__ import annotations

import io
import math
import shutil
import subprocess
import wave
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter

HERE = Path(__file__).resolve().parent
RATE = 22050
# A pentatonic line in A minor (Hz), one note a beat: the podcast's signature tune.
MELODY = (220.0, 261.63, 293.66, 329.63, 392.0, 329.63, 293.66, 261.63)
WIDTH, HEIGHT, FPS = 320, 180, 12


def tones(seconds: float, beat: float = 0.75) -> bytes:
    """A soft plucked melody over a low drone, 16-bit mono PCM."""
    samples = bytearray()
    for n in range(int(seconds * RATE)):
        t = n / RATE
        note = MELODY[int(t / beat) % len(MELODY)]
        since = t % beat
        pluck = math.sin(2 * math.pi * note * t) * math.exp(-3.5 * since)
        drone = 0.25 * math.sin(2 * math.pi * 110.0 * t) * (0.6 + 0.4 * math.sin(t * 0.5))
        fade = min(1.0, t / 1.5, (seconds - t) / 1.5)
        value = int(9000 * fade * (0.7 * pluck + drone))
        samples += value.to_bytes(2, "little", signed=True)
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(bytes(samples))
    return buffer.getvalue()


def frame(index: int) -> bytes:
    """A night market: lanterns rising over roofs, drawn from scratch for frame ``index``."""
    t = index / FPS
    image = Image.new("RGB", (WIDTH, HEIGHT))
    draw = ImageDraw.Draw(image)
    for row in range(HEIGHT):
        k = row / HEIGHT
        draw.line(
            [(0, row), (WIDTH, row)], fill=(int(14 + 30 * k), int(18 + 22 * k), int(48 + 30 * k))
        )
    glow = Image.new("RGB", (WIDTH, HEIGHT))
    glow_draw = ImageDraw.Draw(glow)
    for lantern in range(9):
        x = (lantern * 37 + 20 + 6 * math.sin(t + lantern)) % WIDTH
        y = HEIGHT - ((t * (9 + lantern % 4 * 3) + lantern * 23) % (HEIGHT + 30))
        radius = 5 + lantern % 3
        colour = (255, 170 + lantern * 8 % 60, 60)
        glow_draw.ellipse(
            [x - radius * 3, y - radius * 3, x + radius * 3, y + radius * 3], fill=colour
        )
        draw.ellipse([x - radius, y - radius, x + radius, y + radius], fill=colour)
    image = Image.blend(image, glow.filter(ImageFilter.GaussianBlur(8)), 0.35)
    draw = ImageDraw.Draw(image)
    skyline = [(0, HEIGHT)]
    for block in range(0, WIDTH + 20, 20):
        skyline += [
            (block, HEIGHT - 30 - (block * 7 % 23)),
            (block + 20, HEIGHT - 30 - (block * 7 % 23)),
        ]
    skyline.append((WIDTH, HEIGHT))
    draw.polygon(skyline, fill=(8, 8, 16))
    return image.tobytes()


def make_cover() -> None:
    """The podcast's default cover (``PODCAST_COVER``): 1400 px square, a lantern at night."""
    size = 1400
    image = Image.new("P", (size, size), 0)
    image.putpalette([20, 24, 52, 240, 170, 60, 255, 214, 140, 10, 10, 20])
    draw = ImageDraw.Draw(image)
    centre = size // 2
    draw.ellipse([centre - 420, centre - 420, centre + 420, centre + 420], fill=3)
    draw.rounded_rectangle([centre - 190, centre - 300, centre + 190, centre + 300], 120, fill=1)
    draw.rounded_rectangle([centre - 110, centre - 200, centre + 110, centre + 200], 80, fill=2)
    draw.rectangle([centre - 120, centre - 360, centre + 120, centre - 300], fill=1)
    draw.rectangle([centre - 120, centre + 300, centre + 120, centre + 360], fill=1)
    draw.arc([centre - 90, centre - 480, centre + 90, centre - 330], 180, 360, fill=1, width=24)
    target = HERE.parent.parent / "static" / "samizdat" / "podcast-cover.png"
    image.save(target, optimize=True)


def encode(arguments: list[str], data: bytes) -> None:
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        raise SystemExit("ffmpeg is needed to make the demo's media files")
    subprocess.run([ffmpeg, "-y", "-loglevel", "error", *arguments], input=data, check=True)


def make_audio() -> None:
    wav = HERE / "podcast-episode.wav"
    wav.write_bytes(tones(32.0))
    encode(
        [
            "-i",
            str(wav),
            "-ac",
            "1",
            "-b:a",
            "32k",
            "-map_metadata",
            "-1",
            "-fflags",
            "+bitexact",
            "-flags:a",
            "+bitexact",
            "-id3v2_version",
            "0",
            "-write_xing",
            "0",
            str(HERE / "podcast-episode.mp3"),
        ],
        b"",
    )
    wav.unlink()


def make_video() -> None:
    seconds = 12
    wav = HERE / "night-market.wav"
    wav.write_bytes(tones(float(seconds), beat=1.5))
    frames = b"".join(frame(index) for index in range(seconds * FPS))
    encode(
        [
            "-f",
            "rawvideo",
            "-pix_fmt",
            "rgb24",
            "-s",
            f"{WIDTH}x{HEIGHT}",
            "-r",
            str(FPS),
            "-i",
            "-",
            "-i",
            str(wav),
            "-c:v",
            "libvpx-vp9",
            "-b:v",
            "110k",
            "-pix_fmt",
            "yuv420p",
            "-c:a",
            "libopus",
            "-b:a",
            "24k",
            "-ac",
            "1",
            "-shortest",
            "-map_metadata",
            "-1",
            "-fflags",
            "+bitexact",
            "-flags:v",
            "+bitexact",
            "-flags:a",
            "+bitexact",
            str(HERE / "night-market.webm"),
        ],
        frames,
    )
    wav.unlink()


if __name__ == "__main__":
    make_cover()
    make_audio()
    make_video()
