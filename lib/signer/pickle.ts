// django-rest-registration signs `pickle.dumps(sorted((str(k), str(v)) for k, v in data.items()), 4)`
// (rest_registration/utils/signers.py, get_dict_repr), so the HMAC covers CPython's exact bytes, framing
// and memo opcodes included, not just the values. No npm package is used because none promises those
// bytes: pickleparser, unpickle and jpickle only read pickles, node-pickle shells out to Python.
// Checked byte for byte against pickle.dumps(..., 4) of CPython 3.7 to 3.13; 3.6 frames strings of
// 64 KiB or more differently.

/** A Python `(str, str)` tuple. */
export type StrPair = readonly [string, string]

// Opcodes, from Lib/pickle.py.
const PROTO_4 = Buffer.of(0x80, 4)
const FRAME = 0x95
const EMPTY_LIST = 0x5d
const MEMOIZE = 0x94
const MARK = 0x28
const SHORT_BINUNICODE = 0x8c
const BINUNICODE = 0x58
const TUPLE2 = 0x86
const APPENDS = 0x65
const STOP = 0x2e

// Lib/pickle.py, _Framer and Pickler.save, mirrored by Modules/_pickle.c: a frame is closed when the
// next object starts once it holds FRAME_SIZE_TARGET bytes, a string of that size or more is written
// between frames, and a frame shorter than FRAME_SIZE_MIN is written without its FRAME header.
const FRAME_SIZE_MIN = 4
const FRAME_SIZE_TARGET = 64 * 1024

// With the `u` flag a well-formed surrogate pair is one code point, so only lone halves match.
const LONE_SURROGATE = /[\uD800-\uDFFF]/gu

/**
 * `pickle.dumps([first, second], protocol=4)` for two tuples of distinct `str` objects.
 *
 * Only this shape: a one-item list uses APPEND instead of MARK … APPENDS, and Python writes a string it
 * has already seen *as the same object* as a memo reference, which cannot be told from values. In
 * django-rest-registration the four strings are distinct objects: two key literals, a ten-digit
 * `str(int)` and the user id. (CPython shares `''` and one-character Latin-1 strings, so an equal
 * one-character key or timestamp would be memoized; none exists there.)
 */
export function pickleTwoPairs (pairs: readonly [StrPair, StrPair]): Buffer {
  const framer = new Framer()
  framer.write(Buffer.of(EMPTY_LIST, MEMOIZE, MARK))
  for (const pair of pairs) {
    framer.startObject()
    for (const text of pair) {
      framer.startObject()
      const bytes = pythonUtf8(text)
      if (bytes.length >= FRAME_SIZE_TARGET) framer.writeUnframed(stringHeader(bytes.length), bytes)
      else framer.write(stringHeader(bytes.length), bytes)
      framer.write(Buffer.of(MEMOIZE))
    }
    framer.write(Buffer.of(TUPLE2, MEMOIZE))
  }
  framer.write(Buffer.of(APPENDS, STOP))
  return framer.finish()
}

// Collects the output as CPython's pickler frames it.
class Framer {
  readonly #out: Buffer[] = [PROTO_4]
  #frame: Buffer[] = []
  #frameLength = 0

  write (...parts: readonly Buffer[]): void {
    for (const part of parts) {
      this.#frame.push(part)
      this.#frameLength += part.length
    }
  }

  // Pickler.save() calls this before writing any object.
  startObject (): void {
    if (this.#frameLength >= FRAME_SIZE_TARGET) this.#commit()
  }

  writeUnframed (...parts: readonly Buffer[]): void {
    this.#commit()
    this.#out.push(...parts)
  }

  finish (): Buffer {
    this.#commit()
    return Buffer.concat(this.#out)
  }

  #commit (): void {
    if (this.#frameLength >= FRAME_SIZE_MIN) this.#out.push(frameHeader(this.#frameLength))
    this.#out.push(...this.#frame)
    this.#frame = []
    this.#frameLength = 0
  }
}

function frameHeader (length: number): Buffer {
  const header = Buffer.alloc(9)
  header[0] = FRAME
  header.writeBigUInt64LE(BigInt(length), 1)
  return header
}

// BINUNICODE8 (over 4 GiB) is unreachable: a JavaScript string encodes to well under that.
function stringHeader (length: number): Buffer {
  if (length <= 0xff) return Buffer.of(SHORT_BINUNICODE, length)
  const header = Buffer.alloc(5)
  header[0] = BINUNICODE
  header.writeUInt32LE(length, 1)
  return header
}

// UTF-8 with Python's "surrogatepass": a lone surrogate is encoded as its own three bytes where
// Buffer.from would write U+FFFD, which would make two different ids sign the same message.
function pythonUtf8 (text: string): Buffer {
  const parts: Buffer[] = []
  let start = 0
  for (const match of text.matchAll(LONE_SURROGATE)) {
    const code = text.charCodeAt(match.index)
    parts.push(Buffer.from(text.slice(start, match.index)), Buffer.of(0xed, 0x80 | ((code >> 6) & 0x3f), 0x80 | (code & 0x3f)))
    start = match.index + 1
  }
  parts.push(Buffer.from(text.slice(start)))
  return Buffer.concat(parts)
}
