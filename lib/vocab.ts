// The calculator's vocabulary: special tokens, number words and operation words.
// A number is one or two words ("seven", "twenty three"); each word is one token.

export const PAD = "[PAD]"; // fills short sequences in a batch; never predicted
export const START = "[START]"; // first token of every sequence
export const END = "[END]"; // the model says "the answer is complete"
export const EQUALS = "="; // separates the question from the answer

export const SPECIALS = [PAD, START, END, EQUALS];
export const ONES = [
  "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
  "ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen",
  "eighteen", "nineteen",
];
export const TENS = ["twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"];
export const OPERATION_WORDS = ["plus", "minus", "times", "divided", "by"];

/** Every token, in id order: VOCAB[id] is the word, and the id of a word is its index. */
export const VOCAB: readonly string[] = [...SPECIALS, ...ONES, ...TENS, ...OPERATION_WORDS];
export const VOCAB_SIZE = VOCAB.length;
const ID_OF = new Map(VOCAB.map((word, id) => [word, id] as [string, number]));

export const PAD_ID = ID_OF.get(PAD)!;
export const START_ID = ID_OF.get(START)!;
export const END_ID = ID_OF.get(END)!;
export const EQUALS_ID = ID_OF.get(EQUALS)!;

export const MAX_NUMBER = 99;

/** 23 -> "twenty three", 40 -> "forty", 7 -> "seven". */
export function numberToWords(n: number): string {
  if (!Number.isInteger(n) || n < 0 || n > MAX_NUMBER) {
    throw new Error(`numberToWords: ${n} is out of range; expected a whole number from 0 to ${MAX_NUMBER}.`);
  }
  if (n < 20) return ONES[n];
  const tens = TENS[Math.floor(n / 10) - 2];
  return n % 10 === 0 ? tens : `${tens} ${ONES[n % 10]}`;
}

/** "twenty three" -> 23. Throws a clear error for anything that is not a number from 0 to 99. */
export function wordsToNumber(text: string): number {
  const words = splitWords(text);
  const bad = (why: string) => new Error(`wordsToNumber: "${text}" ${why}`);
  if (words.length === 0) throw bad("is empty; expected a number from zero to ninety nine.");
  checkKnown(words);
  const first = ONES.indexOf(words[0]);
  const tens = TENS.indexOf(words[0]);
  if (words.length === 1 && first >= 0) return first;
  if (tens < 0) throw bad(`is not a number from zero to ninety nine.`);
  const value = (tens + 2) * 10;
  if (words.length === 1) return value;
  const unit = ONES.indexOf(words[1]);
  if (words.length === 2 && unit >= 1 && unit <= 9) return value + unit;
  throw bad(`is not a number from zero to ninety nine (e.g. "${numberToWords(value + 1)}").`);
}

export function splitWords(text: string): string[] {
  return text.trim().split(/\s+/).filter((w) => w.length > 0);
}

/** "two plus three" -> [ids]. Unknown words throw an error naming the word and the closest known one. */
export function encode(text: string): number[] {
  const words = splitWords(text);
  checkKnown(words);
  return words.map((w) => ID_OF.get(w)!);
}

/** [ids] -> "two plus three". */
export function decode(ids: readonly number[]): string {
  return ids
    .map((id) => {
      if (!Number.isInteger(id) || id < 0 || id >= VOCAB_SIZE) {
        throw new Error(`decode: token id ${id} is out of range; expected 0..${VOCAB_SIZE - 1}.`);
      }
      return VOCAB[id];
    })
    .join(" ");
}

const TOO_LARGE = ["hundred", "thousand", "million", "billion"];

function checkKnown(words: string[]): void {
  for (const word of words) {
    if (ID_OF.has(word)) continue;
    if (TOO_LARGE.includes(word.toLowerCase()) || Number(word) > MAX_NUMBER) {
      throw new Error(`"${word}" is out of range: the calculator knows the numbers zero to ninety nine (0..${MAX_NUMBER}).`);
    }
    const lower = word.toLowerCase();
    const hint = ID_OF.has(lower) ? `"${lower}" (words are lower case)` : /^\d+$/.test(word) ? `"${numberToWords(Number(word))}" (numbers are written as words)` : `"${closestWord(word)}"`;
    throw new Error(`Unknown word "${word}": it is not in the vocabulary of ${VOCAB_SIZE} words. Did you mean ${hint}?`);
  }
}

/** The vocabulary word with the smallest edit distance to `word`. */
export function closestWord(word: string): string {
  let best = VOCAB[0];
  let bestDistance = Infinity;
  for (const candidate of VOCAB) {
    const d = editDistance(word.toLowerCase(), candidate);
    if (d < bestDistance) [best, bestDistance] = [candidate, d];
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitute = previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min(previous[j] + 1, current[j - 1] + 1, substitute));
    }
    previous = current;
  }
  return previous[b.length];
}
