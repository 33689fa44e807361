"""Camera-like test photos: what a tablet camera hands the server, not a flat synthetic picture.

A flat or gradient-only image compresses to almost nothing and hides what the stored size of a real
photo is. These images carry what makes a real photo expensive for JPEG: sensor noise in light and
colour, texture at several scales (desk wood, carpet, paper grain), lighting gradients and vignetting,
hard-edged objects and fine detail like printed text. They are saved as a camera saves them:
4000×3000, JPEG quality 92 (about 4–5 MB), held upright (EXIF orientation 6) and with GPS in the EXIF.
Calibrated so that the pipeline as it was before issue 11 (long side 1600, quality 85) stores about 390 kB
a photo, the figure measured on real camera JPEGs.
"""
import io

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

SIZE = (4000, 3000)


def camera_like_jpeg(seed: int, size=SIZE, quality=92) -> bytes:
    """One camera-like JPEG (bytes) for `seed`: noise, texture, gradients, objects and text, with EXIF and GPS."""
    rng = np.random.default_rng(seed)
    width, height = size
    scene = _scene(rng, width, height)
    pixels = np.asarray(scene, dtype=np.float32)
    pixels *= _lighting(rng, width, height)[..., None]
    pixels += _texture(rng, width, height)[..., None] * 30
    pixels += rng.standard_normal((height, width, 1), np.float32) * 6.5  # sensor noise: mostly in light,
    pixels += rng.standard_normal((height, width, 3), np.float32) * 2.5  # some in colour
    image = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8), "RGB")
    exif = Image.Exif()
    exif[0x010F] = "SpotCam"
    exif[0x0112] = 6  # the tablet was held upright: pixels are stored sideways
    exif.get_ifd(0x8825).update({1: "N", 2: (35.0, 41.0, 22.0), 3: "E", 4: (139.0, 41.0, 30.0)})
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality, exif=exif)
    return out.getvalue()


def _scene(rng, width, height):
    """A desk seen from above: a coloured ground, boxes with hard edges, sheets of paper with lines of text."""
    ground = tuple(int(v) for v in rng.integers(70, 190, 3))
    image = Image.new("RGB", (width, height), ground)
    draw = ImageDraw.Draw(image)
    for _ in range(10):  # objects: monitors, cabinets, cables, a lock
        x0, y0 = int(rng.integers(0, width)), int(rng.integers(0, height))
        x1, y1 = x0 + int(rng.integers(200, width // 2)), y0 + int(rng.integers(150, height // 2))
        draw.rectangle((x0, y0, x1, y1), fill=tuple(int(v) for v in rng.integers(20, 235, 3)),
                       outline=(25, 25, 25), width=int(rng.integers(4, 16)))
    for _ in range(3):  # papers with printed lines: the fine detail JPEG pays most for
        x0, y0 = int(rng.integers(0, width * 3 // 4)), int(rng.integers(0, height * 3 // 4))
        pw, ph = int(rng.integers(700, 1300)), int(rng.integers(900, 1500))
        draw.rectangle((x0, y0, x0 + pw, y0 + ph), fill=(236, 234, 226))
        for line_y in range(y0 + 80, y0 + ph - 60, 34):
            x = x0 + 70
            while x < x0 + pw - 90:  # words of glyph-sized marks
                word = int(rng.integers(3, 9))
                for _ in range(word):
                    glyph = int(rng.integers(14, 22))
                    draw.rectangle((x, line_y, x + glyph - 4, line_y + 18), outline=(40, 40, 48), width=2)
                    x += glyph
                x += 22
    return image.filter(ImageFilter.GaussianBlur(1.2))  # the lens: edges a pixel or two soft


def _lighting(rng, width, height):
    """Ceiling light: a broad gradient with vignetting, as a multiplier around 1."""
    cx, cy = rng.uniform(0.2, 0.8), rng.uniform(0.2, 0.8)
    x = np.linspace(0, 1, width, dtype=np.float32)[None, :] - cx
    y = np.linspace(0, 1, height, dtype=np.float32)[:, None] - cy
    distance = np.sqrt(x * x + y * y)
    return (1.15 - 0.55 * distance).astype(np.float32)


def _texture(rng, width, height):
    """Smooth noise at several scales (wood grain, carpet, paper), roughly -1..1."""
    total = np.zeros((height, width), np.float32)
    for cells, weight in ((8, 0.5), (40, 0.3), (200, 0.25), (800, 0.2)):
        grid = rng.uniform(-1, 1, (max(2, cells * height // width), cells)).astype(np.float32)
        layer = Image.fromarray(grid, "F").resize((width, height), Image.BICUBIC)
        total += np.asarray(layer) * weight
    return total
