import { describe, expect, it } from "vitest";
import {
  END, END_ID, EQUALS, EQUALS_ID, PAD, PAD_ID, START, START_ID, VOCAB, VOCAB_SIZE,
  closestWord, decode, encode, numberToWords, wordsToNumber,
} from "../lib/vocab";

// Written out by hand: the words needed to say 0..99 in English, plus the calculator's words.
const UNITS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"];
const TEENS = ["ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"];
const DECADES = ["twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"];
const OPERATORS = ["plus", "minus", "times", "divided", "by"];
const SPECIAL_TOKENS = ["[PAD]", "[START]", "[END]", "="];

/** An independent spelling of n: units, teens, decades and "decade unit". */
function spell(n: number): string {
  if (n < 10) return UNITS[n];
  if (n < 20) return TEENS[n - 10];
  const decade = DECADES[Math.floor(n / 10) - 2];
  return n % 10 === 0 ? decade : `${decade} ${UNITS[n % 10]}`;
}

describe("vocabulary", () => {
  it("holds exactly the special tokens, the number words and the operation words", () => {
    const expected = [...SPECIAL_TOKENS, ...UNITS, ...TEENS, ...DECADES, ...OPERATORS];
    expect(VOCAB_SIZE).toBe(4 + 10 + 10 + 8 + 5);
    expect(VOCAB.length).toBe(VOCAB_SIZE);
    expect([...VOCAB].sort()).toEqual([...expected].sort());
  });

  it("has no duplicate words", () => {
    expect(new Set(VOCAB).size).toBe(VOCAB.length);
  });

  it("gives the special tokens ids that point back to them", () => {
    expect(VOCAB[PAD_ID]).toBe(PAD);
    expect(VOCAB[START_ID]).toBe(START);
    expect(VOCAB[END_ID]).toBe(END);
    expect(VOCAB[EQUALS_ID]).toBe(EQUALS);
    expect(new Set([PAD_ID, START_ID, END_ID, EQUALS_ID]).size).toBe(4);
  });
});

describe("numbers and words", () => {
  it("spells hand-picked numbers", () => {
    expect(numberToWords(0)).toBe("zero");
    expect(numberToWords(7)).toBe("seven");
    expect(numberToWords(13)).toBe("thirteen");
    expect(numberToWords(20)).toBe("twenty");
    expect(numberToWords(23)).toBe("twenty three");
    expect(numberToWords(40)).toBe("forty");
    expect(numberToWords(99)).toBe("ninety nine");
  });

  it("round-trips every number from 0 to 99 through words and through token ids", () => {
    for (let n = 0; n <= 99; n++) {
      const words = numberToWords(n);
      expect(words, `spelling of ${n}`).toBe(spell(n));
      expect(wordsToNumber(words)).toBe(n);
      const ids = encode(words);
      expect(ids.length).toBe(words.split(" ").length);
      expect(ids.every((id) => Number.isInteger(id) && id >= 0 && id < VOCAB_SIZE)).toBe(true);
      expect(decode(ids)).toBe(words);
    }
  });

  it("gives 100 different spellings", () => {
    const all = Array.from({ length: 100 }, (_, n) => numberToWords(n));
    expect(new Set(all).size).toBe(100);
  });

  it("encodes a question word by word, ignoring extra spaces", () => {
    const ids = encode("  two   plus three ");
    expect(ids).toEqual([VOCAB.indexOf("two"), VOCAB.indexOf("plus"), VOCAB.indexOf("three")]);
    expect(decode(ids)).toBe("two plus three");
  });

  it("rejects numbers outside 0..99 by value", () => {
    for (const bad of [-1, 100, 2.5, NaN]) {
      expect(() => numberToWords(bad)).toThrow(String(bad));
    }
  });

  it("names an unknown word and suggests the closest one", () => {
    expect(() => wordsToNumber("thre")).toThrow(/"thre".*"three"/);
    expect(() => encode("two plus thre")).toThrow(/"thre".*"three"/);
    expect(() => encode("fourty two")).toThrow(/"fourty".*"forty"/);
    expect(closestWord("nineteeen")).toBe("nineteen");
    expect(closestWord("pluss")).toBe("plus");
  });

  it("points out upper case words", () => {
    expect(() => encode("Two plus three")).toThrow(/"Two".*"two".*lower case/);
  });

  it('rejects "one hundred" and other non-numbers', () => {
    expect(() => wordsToNumber("one hundred")).toThrow(/hundred/);
    expect(() => encode("one hundred plus two")).toThrow(/"hundred" is out of range.*zero to ninety nine/);
    for (const bad of ["twenty zero", "three four", "seven twenty", "twenty one two", "plus", "thirty forty"]) {
      expect(() => wordsToNumber(bad), bad).toThrow(bad);
    }
  });

  it("rejects empty input", () => {
    expect(() => wordsToNumber("")).toThrow(/empty/);
    expect(() => wordsToNumber("   ")).toThrow(/empty/);
  });

  it("rejects token ids outside the vocabulary by value", () => {
    expect(() => decode([VOCAB_SIZE])).toThrow(String(VOCAB_SIZE));
    expect(() => decode([-1])).toThrow("-1");
    expect(() => decode([1.5])).toThrow("1.5");
  });
});
