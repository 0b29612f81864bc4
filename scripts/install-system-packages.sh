#!/usr/bin/env bash
# Debian/Ubuntu packages Khlang uses outside Python: libmagic (file identification),
# Tesseract with Thai data and its page orientation data (osd), poppler (OCR of scans), Thai
# fonts (also the templates of Thai digits Tesseract cannot write), LibreOffice without its
# desktop (legacy .doc/.xls/.ppt: writer, calc and impress each read their own format),
# Chromium (browser tests) and nginx (the buffering proxy of deploy/nginx, and its test).
# Installs only what is missing, so a machine that has them all does no network work.
set -euo pipefail
packages=(libmagic1 tesseract-ocr tesseract-ocr-tha tesseract-ocr-eng tesseract-ocr-osd poppler-utils
  fonts-thai-tlwg-ttf libreoffice-writer-nogui libreoffice-calc-nogui libreoffice-impress-nogui
  chromium nginx)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "Missing system packages (${missing[*]}) and no apt-get: install them by hand." >&2
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "Missing system packages (${missing[*]}); run as root to install them." >&2
    exit 0
  fi
fi
echo "Installing system packages: ${missing[*]}" >&2
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
