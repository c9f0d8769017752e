// The site icon, drawn from one list of shapes so that the SVG and the ICO
// versions match. static/build.mjs writes both into static/dist/images/.
//
// The design is a white speech bubble holding a small bar chart, on the
// brand teal from styles/_settings.scss.

const BRAND_COLOUR = "#0b4f5c";
const WHITE = "#ffffff";

// Shapes in a 32 × 32 design grid, painted in order, so later shapes cover
// earlier ones.
const SHAPES = [
  { kind: "rect", x: 0, y: 0, width: 32, height: 32, radius: 6, colour: BRAND_COLOUR },
  { kind: "rect", x: 4, y: 5, width: 24, height: 17, radius: 3, colour: WHITE },
  { kind: "polygon", points: [[8, 21], [15, 21], [8, 28]], colour: WHITE },
  { kind: "rect", x: 9, y: 14, width: 3.5, height: 4, radius: 0, colour: BRAND_COLOUR },
  { kind: "rect", x: 14.25, y: 11, width: 3.5, height: 7, radius: 0, colour: BRAND_COLOUR },
  { kind: "rect", x: 19.5, y: 8, width: 3.5, height: 10, radius: 0, colour: BRAND_COLOUR },
];

const GRID_SIZE = 32;

// Image sizes in pixels in the ICO file. Browsers pick the closest size.
const ICO_SIZES = [16, 32, 48];

// Samples per pixel along each axis when rasterising, for anti-aliased edges.
const SUPERSAMPLING = 4;

/** Render the icon as an SVG document. */
export function renderFaviconSvg() {
  const elements = SHAPES.map((shape) => {
    if (shape.kind === "rect") {
      const corner = shape.radius ? ` rx="${shape.radius}"` : "";
      return `<rect x="${shape.x}" y="${shape.y}" width="${shape.width}" height="${shape.height}"${corner} fill="${shape.colour}"/>`;
    }
    const points = shape.points.map(([x, y]) => `${x},${y}`).join(" ");
    return `<polygon points="${points}" fill="${shape.colour}"/>`;
  });
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${GRID_SIZE} ${GRID_SIZE}">`,
    ...elements.map((element) => `  ${element}`),
    "</svg>",
    "",
  ].join("\n");
}

/** Render the icon as an ICO file holding 32-bit BMP images at ICO_SIZES. */
export function renderFaviconIco() {
  const images = ICO_SIZES.map((size) => encodeBmpForIco(rasterise(size), size));

  const headerSize = 6;
  const entrySize = 16;
  const header = Buffer.alloc(headerSize + entrySize * images.length);
  header.writeUInt16LE(0, 0); // reserved
  header.writeUInt16LE(1, 2); // resource type 1 is an icon
  header.writeUInt16LE(images.length, 4);

  let offset = header.length;
  images.forEach((image, index) => {
    const size = ICO_SIZES[index];
    const entry = headerSize + entrySize * index;
    header.writeUInt8(size, entry); // width (0 would mean 256)
    header.writeUInt8(size, entry + 1); // height
    header.writeUInt8(0, entry + 2); // palette size, 0 for true colour
    header.writeUInt8(0, entry + 3); // reserved
    header.writeUInt16LE(1, entry + 4); // colour planes
    header.writeUInt16LE(32, entry + 6); // bits per pixel
    header.writeUInt32LE(image.length, entry + 8);
    header.writeUInt32LE(offset, entry + 12);
    offset += image.length;
  });

  return Buffer.concat([header, ...images]);
}

/** Return straight (not premultiplied) RGBA bytes, top row first. */
function rasterise(size) {
  const pixels = Buffer.alloc(size * size * 4);
  const scale = GRID_SIZE / size;
  const samples = SUPERSAMPLING * SUPERSAMPLING;

  for (let row = 0; row < size; row += 1) {
    for (let column = 0; column < size; column += 1) {
      // Sum premultiplied colour so that transparent samples add no colour.
      let red = 0;
      let green = 0;
      let blue = 0;
      let covered = 0;
      for (let sy = 0; sy < SUPERSAMPLING; sy += 1) {
        for (let sx = 0; sx < SUPERSAMPLING; sx += 1) {
          const x = (column + (sx + 0.5) / SUPERSAMPLING) * scale;
          const y = (row + (sy + 0.5) / SUPERSAMPLING) * scale;
          const colour = colourAt(x, y);
          if (colour) {
            red += colour[0];
            green += colour[1];
            blue += colour[2];
            covered += 1;
          }
        }
      }
      const index = (row * size + column) * 4;
      if (covered > 0) {
        pixels[index] = Math.round(red / covered);
        pixels[index + 1] = Math.round(green / covered);
        pixels[index + 2] = Math.round(blue / covered);
        pixels[index + 3] = Math.round((255 * covered) / samples);
      }
    }
  }
  return pixels;
}

/** Return the [r, g, b] of the topmost shape at a point, or null if none. */
function colourAt(x, y) {
  for (let index = SHAPES.length - 1; index >= 0; index -= 1) {
    const shape = SHAPES[index];
    const inside = shape.kind === "rect" ? insideRoundedRect(shape, x, y) : insidePolygon(shape.points, x, y);
    if (inside) {
      return parseHexColour(shape.colour);
    }
  }
  return null;
}

function insideRoundedRect({ x: left, y: top, width, height, radius }, x, y) {
  const right = left + width;
  const bottom = top + height;
  if (x < left || x > right || y < top || y > bottom) {
    return false;
  }
  // Distance past the straight edges into a corner's square, 0 elsewhere.
  const dx = Math.max(left + radius - x, 0, x - (right - radius));
  const dy = Math.max(top + radius - y, 0, y - (bottom - radius));
  return dx * dx + dy * dy <= radius * radius;
}

// Even-odd rule: a ray from the point crosses the outline an odd number of
// times when the point is inside.
function insidePolygon(points, x, y) {
  let inside = false;
  for (let i = 0, j = points.length - 1; i < points.length; j = i, i += 1) {
    const [xi, yi] = points[i];
    const [xj, yj] = points[j];
    const crosses = yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi;
    if (crosses) {
      inside = !inside;
    }
  }
  return inside;
}

function parseHexColour(hex) {
  const value = Number.parseInt(hex.slice(1), 16);
  return [(value >> 16) & 0xff, (value >> 8) & 0xff, value & 0xff];
}

/**
 * Encode RGBA pixels as the BMP data an ICO entry holds: a BITMAPINFOHEADER
 * whose height counts the colour image and the mask, BGRA rows from the
 * bottom up, then a 1-bit AND mask. The mask is all zeros because the alpha
 * channel carries transparency.
 */
function encodeBmpForIco(pixels, size) {
  const infoHeaderSize = 40;
  const colourBytes = size * size * 4;
  const maskRowBytes = Math.ceil(size / 32) * 4; // rows pad to 32 bits
  const maskBytes = maskRowBytes * size;
  const bmp = Buffer.alloc(infoHeaderSize + colourBytes + maskBytes);

  bmp.writeUInt32LE(infoHeaderSize, 0);
  bmp.writeInt32LE(size, 4);
  bmp.writeInt32LE(size * 2, 8);
  bmp.writeUInt16LE(1, 12); // colour planes
  bmp.writeUInt16LE(32, 14); // bits per pixel
  bmp.writeUInt32LE(0, 16); // BI_RGB, no compression
  bmp.writeUInt32LE(colourBytes + maskBytes, 20);

  for (let row = 0; row < size; row += 1) {
    const sourceRow = size - 1 - row;
    for (let column = 0; column < size; column += 1) {
      const source = (sourceRow * size + column) * 4;
      const target = infoHeaderSize + (row * size + column) * 4;
      bmp[target] = pixels[source + 2];
      bmp[target + 1] = pixels[source + 1];
      bmp[target + 2] = pixels[source];
      bmp[target + 3] = pixels[source + 3];
    }
  }
  return bmp;
}
