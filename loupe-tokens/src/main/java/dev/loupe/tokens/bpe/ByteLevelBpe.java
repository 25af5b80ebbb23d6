package dev.loupe.tokens.bpe;

import dev.loupe.LoupeException;
import dev.loupe.tensor.Parallel;
import dev.loupe.tokens.IntList;
import dev.loupe.tokens.Tokenizer;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.OptionalInt;

/**
 * Byte-level BPE as in GPT-2 (Radford et al. 2019, "Language Models are Unsupervised Multitask
 * Learners", §2.2): text → UTF-8 bytes, split into pieces by {@link Gpt2PreTokenizer}, each piece
 * encoded on its own by merging adjacent tokens in rank order ({@link Merge}). With GPT-2's
 * vocabulary the ids equal OpenAI's tiktoken {@code r50k_base} and Hugging Face's {@code gpt2}.
 *
 * <p>Loaded by {@link BpeFiles} from Hugging Face {@code vocab.json} + {@code merges.txt} or a
 * tiktoken rank file; produced by {@link BpeTrainer}.
 *
 * <p>Special tokens: a vocabulary entry that is neither a single byte nor the result of a merge
 * (GPT-2: only {@code <|endoftext|>}, id 50256) is never produced by {@link #encode}, which treats
 * all text as ordinary (tiktoken's {@code encode_ordinary}); {@link #encodeAllowingSpecial} maps the
 * text {@code <|endoftext|>} to its id.
 *
 * <p>Speed: pieces whose text is exactly one token are found in a hash table without running
 * BPE (only for tokens where BPE provably gives that token: checked for every token at load
 * time); other pieces go through a per-thread cache; long texts are cut at piece boundaries and
 * encoded on {@link Parallel}'s threads. Immutable and thread-safe.
 */
public final class ByteLevelBpe implements Tokenizer {
    /** Texts at least this long (chars) are split into chunks encoded in parallel. */
    static final int PARALLEL_MIN_CHARS = 1 << 17;
    private static final int CACHE_MAX_ENTRIES = 1 << 16;
    private static final int CACHE_MAX_PIECE = 256;

    private final byte[][] tokenBytes; // id -> bytes
    private final int[] byteToId = new int[256];
    private final List<Merge> merges; // in rank order
    private final boolean[] special;
    private final PairTable pairs;
    private final CharKeyTable direct;
    private final int endOfText;
    private final ThreadLocal<Encoder> encoders;

    /**
     * A vocabulary from its token bytes (index = id) and merge rules.
     *
     * @param tokenBytes the bytes of every token; every single byte must be a token
     * @param merges     the merge rules (any order; rank decides)
     * @param eotText    the spelling of the end-of-text token (e.g. {@code <|endoftext|>}), or null
     * @throws LoupeException when a byte has no token, a merge refers to an unknown id, or its merged
     *                        token's bytes are not the concatenation of its parts
     */
    public ByteLevelBpe(byte[][] tokenBytes, List<Merge> merges, String eotText) {
        this.tokenBytes = tokenBytes;
        int n = tokenBytes.length;
        Arrays.fill(byteToId, -1);
        for (int id = 0; id < n; id++) {
            if (tokenBytes[id] == null) throw new LoupeException("vocabulary has no token with id " + id + " (ids must be 0.." + (n - 1) + ")");
            if (tokenBytes[id].length == 1 && byteToId[tokenBytes[id][0] & 0xFF] < 0) byteToId[tokenBytes[id][0] & 0xFF] = id;
        }
        for (int b = 0; b < 256; b++) {
            if (byteToId[b] < 0) throw new LoupeException(String.format("vocabulary has no token for the byte 0x%02X: a byte-level BPE needs all 256", b));
        }
        List<Merge> sorted = new ArrayList<>(merges);
        sorted.sort(Comparator.comparingInt(Merge::rank).thenComparingInt(Merge::left).thenComparingInt(Merge::right));
        this.merges = List.copyOf(sorted);
        this.pairs = new PairTable(merges.size());
        boolean[] produced = new boolean[n];
        for (int b = 0; b < 256; b++) produced[byteToId[b]] = true;
        for (Merge m : sorted) {
            for (int id : new int[] {m.left(), m.right(), m.merged()}) {
                if (id < 0 || id >= n) throw new LoupeException("merge " + m + " refers to token id " + id + ", outside [0, " + n + ")");
            }
            byte[] l = tokenBytes[m.left()], r = tokenBytes[m.right()], mm = tokenBytes[m.merged()];
            if (mm.length != l.length + r.length || !Arrays.equals(mm, 0, l.length, l, 0, l.length)
                    || !Arrays.equals(mm, l.length, mm.length, r, 0, r.length)) {
                throw new LoupeException("merge of tokens " + m.left() + " and " + m.right() + " gives token " + m.merged()
                        + ", whose bytes are not the two joined");
            }
            pairs.put(m.left(), m.right(), m.rank(), m.merged());
            produced[m.merged()] = true;
        }
        special = new boolean[n];
        int eot = -1;
        for (int id = 0; id < n; id++) {
            special[id] = !produced[id];
            if (special[id] && eotText != null && Arrays.equals(tokenBytes[id], eotText.getBytes(StandardCharsets.UTF_8))) eot = id;
        }
        this.endOfText = eot;
        this.encoders = ThreadLocal.withInitial(Encoder::new);
        this.direct = buildDirectTable();
    }

    /** Pieces equal to one token's text, for tokens that BPE encodes as themselves. */
    private CharKeyTable buildDirectTable() {
        CharKeyTable table = new CharKeyTable(tokenBytes.length);
        BpeMerger merger = new BpeMerger(pairs);
        IntList out = new IntList(64);
        var decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
        int[] start = new int[64];
        for (int id = 0; id < tokenBytes.length; id++) {
            if (special[id]) continue;
            byte[] b = tokenBytes[id];
            String text;
            try {
                text = decoder.decode(ByteBuffer.wrap(b)).toString();
            } catch (CharacterCodingException e) {
                continue; // a fragment of a character: never a whole piece
            }
            if (start.length < b.length) start = new int[b.length * 2];
            for (int i = 0; i < b.length; i++) start[i] = byteToId[b[i] & 0xFF];
            out = new IntList(4);
            merger.merge(start, b.length, out);
            if (out.size() == 1 && out.get(0) == id) {
                char[] cs = text.toCharArray();
                int h = CharKeyTable.hash(cs, 0, cs.length);
                if (table.get(cs, 0, cs.length, h) < 0) table.put(cs, 0, cs.length, h, id);
            }
        }
        return table;
    }

    /** The token ids of {@code text}, all of it ordinary text (a literal {@code <|endoftext|>} is seven tokens). */
    @Override
    public int[] encode(String text) {
        char[] s = text.toCharArray();
        int threads = Parallel.threads();
        if (s.length < PARALLEL_MIN_CHARS || threads == 1) {
            IntList out = new IntList(s.length / 3 + 8);
            encoders.get().encode(s, 0, s.length, out);
            return out.toArray();
        }
        int chunks = Math.min(threads * 4, s.length / (PARALLEL_MIN_CHARS / 4));
        int[] bounds = new int[chunks + 1];
        for (int c = 1; c < chunks; c++) bounds[c] = Gpt2PreTokenizer.safeSplit(s, Math.max(bounds[c - 1], (int) ((long) s.length * c / chunks)), s.length);
        bounds[chunks] = s.length;
        IntList[] parts = new IntList[chunks];
        Parallel.forRange(chunks, 1, (from, to) -> {
            Encoder enc = encoders.get();
            for (int c = from; c < to; c++) {
                parts[c] = new IntList((bounds[c + 1] - bounds[c]) / 3 + 8);
                enc.encode(s, bounds[c], bounds[c + 1], parts[c]);
            }
        });
        int total = 0;
        for (IntList p : parts) total += p.size();
        IntList out = new IntList(total);
        for (IntList p : parts) out.addAll(p.toArray());
        return out.toArray();
    }

    @Override
    public String decode(int[] ids) {
        return new String(decodeBytes(ids), StandardCharsets.UTF_8);
    }

    /** The bytes of a token sequence (exact; {@link #decode} turns them into text). */
    public byte[] decodeBytes(int[] ids) {
        int len = 0;
        for (int id : ids) len += bytesOf(id).length;
        byte[] out = new byte[len];
        int at = 0;
        for (int id : ids) {
            byte[] b = tokenBytes[id];
            System.arraycopy(b, 0, out, at, b.length);
            at += b.length;
        }
        return out;
    }

    /** The bytes of token {@code id}. */
    public byte[] bytesOf(int id) {
        if (id < 0 || id >= tokenBytes.length) {
            throw new LoupeException("token id " + id + " is outside the vocabulary [0, " + tokenBytes.length + ")");
        }
        return tokenBytes[id].clone();
    }

    @Override
    public int vocabSize() {
        return tokenBytes.length;
    }

    /** The token's text; bytes that are not valid UTF-8 on their own appear as {@code <0xE2>}. */
    @Override
    public String tokenText(int id) {
        return dev.loupe.tokens.TokenBytes.display(bytesOf(id));
    }

    @Override
    public OptionalInt endOfText() {
        return endOfText < 0 ? OptionalInt.empty() : OptionalInt.of(endOfText);
    }

    /** True for tokens that {@link #encode} never produces (added tokens such as {@code <|endoftext|>}). */
    public boolean isSpecial(int id) {
        return special[id];
    }

    /** The merge rules in rank order. */
    public List<Merge> merges() {
        return merges;
    }

    /** Number of tokens that pieces map to directly (diagnostics: GPT-2 has one per ordinary token). */
    int directTokens() {
        return direct.size();
    }

    @Override
    public String toString() {
        return "ByteLevelBpe(" + tokenBytes.length + " tokens, " + merges.size() + " merges)";
    }

    /** Per-thread encoding state: scratch buffers and a cache of piece → ids. */
    private final class Encoder {
        private final BpeMerger merger = new BpeMerger(pairs);
        private final CharKeyTable cache = new CharKeyTable(1 << 12);
        private IntList cacheIds = new IntList(1 << 14);
        private int[] cacheStart = new int[1 << 12];
        private int[] pieceIds = new int[256];

        void encode(char[] s, int from, int to, IntList out) {
            int p = from;
            while (p < to) {
                int q = Gpt2PreTokenizer.pieceEnd(s, p, to);
                int h = CharKeyTable.hash(s, p, q);
                int id = direct.get(s, p, q, h);
                if (id >= 0) {
                    out.add(id);
                } else {
                    int e = cache.get(s, p, q, h);
                    if (e >= 0) {
                        appendCached(e, out);
                    } else {
                        int before = out.size();
                        bpe(s, p, q, out);
                        if (q - p <= CACHE_MAX_PIECE) remember(s, p, q, h, out, before);
                    }
                }
                p = q;
            }
        }

        private void appendCached(int e, IntList out) {
            int from = cacheStart[e];
            int to = e + 1 < cache.size() ? cacheStart[e + 1] : cacheIds.size();
            for (int i = from; i < to; i++) out.add(cacheIds.get(i));
        }

        private void remember(char[] s, int p, int q, int h, IntList out, int before) {
            if (cache.size() >= CACHE_MAX_ENTRIES) {
                cache.clear();
                cacheIds = new IntList(1 << 14);
            }
            int e = cache.size();
            if (e == cacheStart.length) cacheStart = Arrays.copyOf(cacheStart, e * 2);
            cacheStart[e] = cacheIds.size();
            for (int i = before; i < out.size(); i++) cacheIds.add(out.get(i));
            cache.put(s, p, q, h, e);
        }

        /** UTF-8 bytes of s[p, q) as single-byte token ids, then merged. Unpaired surrogates become '?' like String.getBytes. */
        private void bpe(char[] s, int p, int q, IntList out) {
            int need = 3 * (q - p);
            if (pieceIds.length < need) pieceIds = new int[need * 2];
            int[] t = pieceIds;
            int n = 0;
            for (int i = p; i < q; i++) {
                char c = s[i];
                if (c < 0x80) {
                    t[n++] = byteToId[c];
                } else if (c < 0x800) {
                    t[n++] = byteToId[0xC0 | (c >> 6)];
                    t[n++] = byteToId[0x80 | (c & 0x3F)];
                } else if (Character.isSurrogate(c)) {
                    if (Character.isHighSurrogate(c) && i + 1 < q && Character.isLowSurrogate(s[i + 1])) {
                        int cp = Character.toCodePoint(c, s[++i]);
                        t[n++] = byteToId[0xF0 | (cp >> 18)];
                        t[n++] = byteToId[0x80 | ((cp >> 12) & 0x3F)];
                        t[n++] = byteToId[0x80 | ((cp >> 6) & 0x3F)];
                        t[n++] = byteToId[0x80 | (cp & 0x3F)];
                    } else {
                        t[n++] = byteToId['?'];
                    }
                } else {
                    t[n++] = byteToId[0xE0 | (c >> 12)];
                    t[n++] = byteToId[0x80 | ((c >> 6) & 0x3F)];
                    t[n++] = byteToId[0x80 | (c & 0x3F)];
                }
            }
            merger.merge(t, n, out);
        }
    }
}
