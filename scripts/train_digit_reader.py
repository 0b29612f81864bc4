"""Train the Thai digit classifier of indexer/extract/thai_digit_reader.py and write its
weights (indexer/extract/data/thai_digits.npz, about 150 KB).

Numbers of the ten Thai digits and "/" are drawn in every face of fonts-thai-tlwg except the
four the scan benchmark prints in (Loma, Kinnari, Garuda, TlwgTypist: bench/scan_corpus.py),
so that the benchmark measures faces the classifier has never seen. Each drawing is made
the way a scan reaches the reader: a random letter size, turned by up to 1.5°, blurred,
specked, saved as JPEG, median-filtered as ocr.prepare_page does, then cut out by the
reader's own glyphs() and features(). A one-hidden-layer network is trained on them with
NumPy (Adam, cross-entropy). It prints its accuracy on drawings of a held-out face family
(trained without it), then on the benchmark's four faces (never trained on).

    nice -n 10 .venv/bin/python scripts/train_digit_reader.py [--per-font 300] [--seed 1]
"""

from __future__ import annotations

import argparse
import io
import random
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from indexer.extract.thai_digit_reader import (  # noqa: E402
    CLASSES,
    MODEL,
    features,
    glyphs,
    probabilities,
)

FONT_DIR = Path("/usr/share/fonts/truetype/tlwg")
#: The benchmark's faces (every style of them): never drawn for training.
BENCH_FAMILIES = ("Loma", "Kinnari", "Garuda", "TlwgTypist")
#: The family left out of a first training, to say how well an unseen face is read.
HELD_OUT_FAMILY = "Umpush"
HIDDEN = 128


def faces(families_out: tuple[str, ...], families_in: tuple[str, ...] = ()) -> list[Path]:
    found = []
    for path in sorted(FONT_DIR.glob("*.ttf")):
        family = path.stem.split("-")[0]
        if families_in and family not in families_in:
            continue
        if family not in families_out:
            found.append(path)
    return found


def drawn_like_a_scan(chars: str, font_path: Path, rng: random.Random) -> list[np.ndarray]:
    """The features of each character of ``chars`` (a number) drawn in the font as a
    scanned page shows it; [] when the reader would not cut it into one glyph each."""
    tall = drawn_glyphs(chars, font_path, rng)
    if not tall:
        return []
    tallest = max(glyph.height for glyph in tall)
    return [features(glyph, tallest) for glyph in tall]


def drawn_glyphs(chars: str, font_path: Path, rng: random.Random) -> list:
    """The reader's glyphs of ``chars`` drawn in the font as a scanned page shows it; []
    when the reader would not cut it into one glyph each."""
    from PIL import Image, ImageDraw, ImageFilter, ImageFont

    size = rng.randint(38, 92)  # 9 to 22 pt at 300 dpi
    font = ImageFont.truetype(str(font_path), size)
    canvas = Image.new("L", (size * (len(chars) + 2), size * 2), 255)
    ImageDraw.Draw(canvas).text((size // 2, size // 3), chars, fill=0, font=font)
    # faces differ in stroke width, proportions and slant: vary all three
    width, height = canvas.size
    stretch, shear = rng.uniform(0.85, 1.15), rng.uniform(-0.15, 0.15)
    canvas = canvas.transform(
        (int(width * stretch) + size, height),
        Image.Transform.AFFINE,
        (1 / stretch, shear, -shear * height / 2, 0, 1, 0),
        Image.Resampling.BICUBIC,
        fillcolor=255,
    )
    if rng.random() < 0.3:
        canvas = canvas.filter(rng.choice([ImageFilter.MinFilter(3), ImageFilter.MaxFilter(3)]))
    canvas = canvas.rotate(rng.uniform(-1.5, 1.5), Image.Resampling.BICUBIC, fillcolor=255)
    if rng.random() < 0.8:
        canvas = canvas.filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 1.4)))
    draw = ImageDraw.Draw(canvas)
    for _ in range(rng.randint(0, 4)):
        x, y = rng.randrange(canvas.width), rng.randrange(canvas.height)
        draw.point((x, y), fill=rng.randint(0, 120))
    if rng.random() < 0.8:
        buffer = io.BytesIO()
        canvas.save(buffer, "JPEG", quality=rng.randint(30, 95))
        canvas = Image.open(io.BytesIO(buffer.getvalue())).convert("L")
    if rng.random() < 0.85:
        canvas = canvas.filter(ImageFilter.MedianFilter(3))
    grey = np.asarray(canvas)
    rows, cols = np.nonzero(grey < 160)
    if not len(rows):
        return []
    pad = rng.randint(1, 4)
    top, left = max(0, rows.min() - pad), max(0, cols.min() - pad)
    tall = glyphs(grey[top : rows.max() + pad + 1, left : cols.max() + pad + 1])
    if len(tall) != sum(c in CLASSES for c in chars):
        return []
    return tall


def a_number(rng: random.Random) -> str:
    """One to five digits, sometimes with a separator or a slash, sometimes in brackets,
    as letters print them."""
    digits = "".join(rng.choice(CLASSES[:10]) for _ in range(rng.randint(1, 5)))
    if len(digits) > 1 and rng.random() < 0.4:
        at = rng.randrange(1, len(digits))
        digits = digits[:at] + rng.choice("/.,") + digits[at:]
    if rng.random() < 0.1:
        digits = "(" + digits + ")"
    elif rng.random() < 0.1:
        digits += ")"
    return digits


def dataset(fonts: list[Path], per_font: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = random.Random(seed)
    rows, labels = [], []
    for font in fonts:
        for _ in range(per_font):
            chars = a_number(rng)
            drawn = drawn_like_a_scan(chars, font, rng)
            rows += drawn
            labels += [CLASSES.index(c) for c in chars if c in CLASSES] if drawn else []
    return np.stack(rows).astype(np.float32), np.array(labels)


def train(x: np.ndarray, y: np.ndarray, seed: int, epochs: int = 20) -> dict[str, np.ndarray]:
    """A one-hidden-layer network (ReLU, softmax), Adam on mini-batches, weight decay."""
    rng = np.random.default_rng(seed)
    mean, scale = x.mean(axis=0), x.std(axis=0) + 0.05
    x = (x - mean) / scale
    classes = len(CLASSES)
    params = {
        "w1": rng.normal(0, np.sqrt(2 / x.shape[1]), (x.shape[1], HIDDEN)).astype(np.float32),
        "b1": np.zeros(HIDDEN, np.float32),
        "w2": rng.normal(0, np.sqrt(2 / HIDDEN), (HIDDEN, classes)).astype(np.float32),
        "b2": np.zeros(classes, np.float32),
    }
    moments = {k: (np.zeros_like(v), np.zeros_like(v)) for k, v in params.items()}
    step, rate, decay = 0, 2e-3, 1e-4
    for epoch in range(epochs):
        order = rng.permutation(len(x))
        for start in range(0, len(x), 128):
            batch = order[start : start + 128]
            xb, yb = x[batch], y[batch]
            hidden = np.maximum(xb @ params["w1"] + params["b1"], 0)
            logits = hidden @ params["w2"] + params["b2"]
            logits -= logits.max(axis=1, keepdims=True)
            chances = np.exp(logits)
            chances /= chances.sum(axis=1, keepdims=True)
            chances[np.arange(len(yb)), yb] -= 1
            d_logits = chances / len(yb)
            d_hidden = (d_logits @ params["w2"].T) * (hidden > 0)
            grads = {
                "w2": hidden.T @ d_logits + decay * params["w2"],
                "b2": d_logits.sum(axis=0),
                "w1": xb.T @ d_hidden + decay * params["w1"],
                "b1": d_hidden.sum(axis=0),
            }
            step += 1
            for name, grad in grads.items():
                first, second = moments[name]
                first *= 0.9
                first += 0.1 * grad
                second *= 0.999
                second += 0.001 * grad * grad
                corrected = first / (1 - 0.9**step)
                params[name] -= rate * corrected / (np.sqrt(second / (1 - 0.999**step)) + 1e-8)
        if epoch == epochs * 2 // 3:
            rate /= 5
    return {**params, "mean": mean.astype(np.float32), "scale": scale.astype(np.float32)}


def calibrated(model: dict[str, np.ndarray], x: np.ndarray, y: np.ndarray) -> float:
    """The temperature (logits divided by it) that makes the model's sureness honest on
    faces it was not trained on: the best log-likelihood of the held-out family."""
    best, chosen = np.inf, 1.0
    for temperature in (1.0, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0):
        chances = probabilities(x, {**model, "temperature": np.float32(temperature)})
        loss = -np.log(chances[np.arange(len(y)), y] + 1e-9).mean()
        if loss < best:
            best, chosen = loss, temperature
    return chosen


def accuracy(model: dict[str, np.ndarray], x: np.ndarray, y: np.ndarray) -> str:
    chances = probabilities(x, model)
    best = chances.argmax(axis=1)
    sure = chances.max(axis=1) >= 0.9
    wrong_sure = int(((best != y) & sure).sum())
    return (
        f"{100 * float((best == y).mean()):.2f}% right of {len(y)}; "
        f"{wrong_sure} wrong at >= 0.9 sureness, {int((~sure).sum())} unsure"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-font", type=int, default=300, help="numbers drawn per face")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    training = faces(BENCH_FAMILIES)
    held = [f for f in training if f.stem.split("-")[0] == HELD_OUT_FAMILY]
    rest = [f for f in training if f not in held]
    x_rest, y_rest = dataset(rest, args.per_font, args.seed)
    x_held, y_held = dataset(held, args.per_font // 2, args.seed + 1)
    print(f"{len(rest) + len(held)} faces drawn in {time.perf_counter() - started:.0f} s")
    first = train(x_rest, y_rest, args.seed)
    temperature = calibrated(first, x_held, y_held)
    first["temperature"] = np.float32(temperature)
    print(
        f"held-out family ({HELD_OUT_FAMILY}, never trained on here): {accuracy(first, x_held, y_held)}"
    )
    print(f"temperature {temperature}")
    model = train(np.vstack([x_rest, x_held]), np.concatenate([y_rest, y_held]), args.seed)
    model["temperature"] = np.float32(temperature)
    x_bench, y_bench = dataset(faces((), BENCH_FAMILIES), args.per_font // 4, args.seed + 2)
    print(f"benchmark's faces (never trained on): {accuracy(model, x_bench, y_bench)}")
    MODEL.parent.mkdir(exist_ok=True)
    np.savez_compressed(MODEL, **{k: v.astype(np.float32) for k, v in model.items()})
    print(
        f"wrote {MODEL} ({MODEL.stat().st_size // 1024} KB) in {time.perf_counter() - started:.0f} s"
    )


if __name__ == "__main__":
    main()
