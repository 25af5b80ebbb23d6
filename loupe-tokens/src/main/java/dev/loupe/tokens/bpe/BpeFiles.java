package dev.loupe.tokens.bpe;

import dev.loupe.tensor.io.AtomicFiles;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.JsonFactory;
import dev.loupe.LoupeException;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads and writes byte-level BPE vocabularies:
 * <ul>
 *   <li>Hugging Face GPT-2 layout: {@code vocab.json} ({@code {"token": id}}, token bytes written
 *       in {@link ByteLevelAlphabet}) and {@code merges.txt} ({@code #version: 0.2} then one merge
 *       "left right" per line, rank = line order);</li>
 *   <li>tiktoken rank files ({@code base64(token bytes) rank} per line; ranks are the ids, and a
 *       pair merges when the two tokens joined are a token, at that token's rank).</li>
 * </ul>
 */
public final class BpeFiles {
    /** GPT-2's end-of-text token. */
    public static final String END_OF_TEXT = "<|endoftext|>";
    public static final String VOCAB_JSON = "vocab.json";
    public static final String MERGES_TXT = "merges.txt";

    private BpeFiles() {}

    /** Loads {@code vocab.json} + {@code merges.txt} (Hugging Face GPT-2 layout). */
    public static ByteLevelBpe loadHuggingFace(Path vocabJson, Path mergesTxt) {
        Map<String, Integer> vocab = readVocab(vocabJson);
        int n = vocab.size();
        byte[][] tokens = new byte[n][];
        Map<String, Integer> ids = new HashMap<>(vocab);
        for (var e : vocab.entrySet()) {
            int id = e.getValue();
            if (id < 0 || id >= n) {
                throw new LoupeException(vocabJson + ": token " + shown(e.getKey()) + " has id " + id + ", but ids must be 0.." + (n - 1)
                        + " (" + n + " tokens)");
            }
            if (tokens[id] != null) throw new LoupeException(vocabJson + ": id " + id + " is used twice");
            byte[] b = ByteLevelAlphabet.decode(e.getKey());
            // Added tokens such as <|endoftext|> are plain ASCII and decode fine; anything else
            // outside the byte alphabet is taken as its UTF-8 text.
            tokens[id] = b != null ? b : e.getKey().getBytes(StandardCharsets.UTF_8);
        }
        List<Merge> merges = new ArrayList<>();
        try (BufferedReader r = Files.newBufferedReader(mergesTxt, StandardCharsets.UTF_8)) {
            String line;
            int lineNo = 0;
            while ((line = r.readLine()) != null) {
                lineNo++;
                if (line.isEmpty() || (lineNo == 1 && line.startsWith("#version"))) continue;
                int sp = line.indexOf(' ');
                if (sp <= 0 || sp == line.length() - 1 || line.indexOf(' ', sp + 1) >= 0) {
                    throw new LoupeException(mergesTxt + " line " + lineNo + ": expected two tokens separated by one space, got " + shown(line));
                }
                String a = line.substring(0, sp), b = line.substring(sp + 1);
                Integer ia = ids.get(a), ib = ids.get(b), im = ids.get(a + b);
                if (ia == null || ib == null || im == null) {
                    String missing = ia == null ? a : ib == null ? b : a + b;
                    throw new LoupeException(mergesTxt + " line " + lineNo + ": token " + shown(missing) + " is not in " + vocabJson.getFileName());
                }
                merges.add(new Merge(ia, ib, merges.size(), im));
            }
        } catch (NoSuchFileException e) {
            throw new LoupeException("merges file " + mergesTxt + " does not exist");
        } catch (java.nio.charset.MalformedInputException e) {
            throw new LoupeException(mergesTxt + ": not valid UTF-8", e);
        } catch (IOException e) {
            throw new LoupeException("cannot read " + mergesTxt + ": " + e.getMessage(), e);
        }
        try {
            return new ByteLevelBpe(tokens, merges, END_OF_TEXT);
        } catch (LoupeException e) {
            throw new LoupeException(vocabJson.getParent() + ": " + e.getMessage(), e);
        }
    }

    /** Longest text quoted in an error message: a broken file may hold a line of megabytes. */
    static final int MAX_SHOWN = 80;

    /** {@code s} quoted for an error line, cut to {@link #MAX_SHOWN} characters with its full length when longer. */
    static String shown(String s) {
        if (s.length() <= MAX_SHOWN) return "\"" + s + "\"";
        return String.format(java.util.Locale.ROOT, "\"%s…\" (%,d characters)", s.substring(0, MAX_SHOWN), s.length());
    }

    /** vocab.json streamed (50k entries; no tree). */
    private static Map<String, Integer> readVocab(Path vocabJson) {
        Map<String, Integer> vocab = new HashMap<>(1 << 17);
        try (InputStream in = Files.newInputStream(vocabJson);
             JsonParser p = new JsonFactory().createParser(in)) {
            if (p.nextToken() != JsonToken.START_OBJECT) throw new LoupeException(vocabJson + ": expected a JSON object {\"token\": id, ...}");
            JsonToken t;
            while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
                String key = p.currentName();
                if (p.nextToken() != JsonToken.VALUE_NUMBER_INT) {
                    throw new LoupeException(vocabJson + ": the id of token " + shown(key) + " must be an integer");
                }
                if (vocab.put(key, p.getIntValue()) != null) throw new LoupeException(vocabJson + ": token " + shown(key) + " appears twice");
            }
            if (t != JsonToken.END_OBJECT) throw new LoupeException(vocabJson + ": expected a JSON object {\"token\": id, ...}");
        } catch (NoSuchFileException e) {
            throw new LoupeException("vocabulary file " + vocabJson + " does not exist");
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new LoupeException(vocabJson + ": malformed JSON: " + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw new LoupeException("cannot read " + vocabJson + ": " + e.getMessage(), e);
        }
        if (vocab.isEmpty()) throw new LoupeException(vocabJson + ": the vocabulary is empty");
        return vocab;
    }

    /**
     * Loads a tiktoken rank file ({@code base64 rank} per line) plus special tokens appended by id
     * (GPT-2 / r50k_base: {@code Map.of("<|endoftext|>", 50256)}).
     *
     * @param source names the file in error messages
     */
    public static ByteLevelBpe loadTiktoken(InputStream in, String source, Map<String, Integer> specials) {
        List<byte[]> byRank = new ArrayList<>(1 << 16);
        try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            String line;
            int lineNo = 0;
            Base64.Decoder b64 = Base64.getDecoder();
            while ((line = r.readLine()) != null) {
                lineNo++;
                if (line.isBlank()) continue;
                int sp = line.indexOf(' ');
                try {
                    if (sp <= 0) throw new IllegalArgumentException("no space");
                    byte[] bytes = b64.decode(line.substring(0, sp));
                    int rank = Integer.parseInt(line.substring(sp + 1).trim());
                    if (rank != byRank.size()) {
                        throw new LoupeException(source + " line " + lineNo + ": rank " + rank + " out of order (expected " + byRank.size() + ")");
                    }
                    byRank.add(bytes);
                } catch (IllegalArgumentException e) {
                    throw new LoupeException(source + " line " + lineNo + ": expected \"<base64 token> <rank>\", got " + shown(line));
                }
            }
        } catch (IOException e) {
            throw new LoupeException("cannot read " + source + ": " + e.getMessage(), e);
        }
        int n = byRank.size();
        for (int id : specials.values()) n = Math.max(n, id + 1);
        byte[][] tokens = new byte[n][];
        for (int i = 0; i < byRank.size(); i++) tokens[i] = byRank.get(i);
        String eot = null;
        for (var e : specials.entrySet()) {
            if (e.getValue() < byRank.size()) throw new LoupeException(source + ": special token " + e.getKey() + " id " + e.getValue() + " collides with a ranked token");
            tokens[e.getValue()] = e.getKey().getBytes(StandardCharsets.UTF_8);
            if (e.getKey().equals(END_OF_TEXT)) eot = END_OF_TEXT;
        }
        // Every way of splitting a token into two tokens is a merge at that token's rank: exactly
        // tiktoken's rule "merge the adjacent pair whose concatenation has the lowest rank".
        Map<ByteKey, Integer> rankOf = new HashMap<>(byRank.size() * 2);
        for (int i = 0; i < byRank.size(); i++) rankOf.putIfAbsent(new ByteKey(byRank.get(i)), i);
        List<Merge> merges = new ArrayList<>();
        for (int id = 0; id < byRank.size(); id++) {
            byte[] b = byRank.get(id);
            for (int cut = 1; cut < b.length; cut++) {
                Integer l = rankOf.get(new ByteKey(java.util.Arrays.copyOfRange(b, 0, cut)));
                Integer rr = rankOf.get(new ByteKey(java.util.Arrays.copyOfRange(b, cut, b.length)));
                if (l != null && rr != null) merges.add(new Merge(l, rr, id, id));
            }
        }
        try {
            return new ByteLevelBpe(tokens, merges, eot);
        } catch (LoupeException e) {
            throw new LoupeException(source + ": " + e.getMessage(), e);
        }
    }

    /** {@link #loadTiktoken(InputStream, String, Map)} from a file. */
    public static ByteLevelBpe loadTiktoken(Path file, Map<String, Integer> specials) {
        try (InputStream in = Files.newInputStream(file)) {
            return loadTiktoken(in, file.toString(), specials);
        } catch (NoSuchFileException e) {
            throw new LoupeException("tiktoken file " + file + " does not exist");
        } catch (IOException e) {
            throw new LoupeException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    private record ByteKey(byte[] b) {
        @Override
        public boolean equals(Object o) {
            return o instanceof ByteKey k && java.util.Arrays.equals(b, k.b);
        }

        @Override
        public int hashCode() {
            return java.util.Arrays.hashCode(b);
        }
    }

    /**
     * Writes {@code vocab.json} and {@code merges.txt} into {@code dir} (atomically, each file):
     * loadable by {@link #loadHuggingFace} and by Hugging Face's {@code GPT2Tokenizer}. Merges are
     * written in rank order; a tiktoken vocabulary gets one line per way of splitting a token.
     */
    public static void saveHuggingFace(ByteLevelBpe bpe, Path dir) {
        AtomicFiles.write(dir.resolve(VOCAB_JSON), out -> {
            Writer w = new OutputStreamWriter(out, StandardCharsets.UTF_8);
            var gen = new JsonFactory().createGenerator(w);
            gen.writeStartObject();
            for (int id = 0; id < bpe.vocabSize(); id++) {
                byte[] b = bpe.bytesOf(id);
                gen.writeNumberField(bpe.isSpecial(id) ? new String(b, StandardCharsets.UTF_8) : ByteLevelAlphabet.encode(b), id);
            }
            gen.writeEndObject();
            gen.flush();
        });
        AtomicFiles.write(dir.resolve(MERGES_TXT), out -> {
            Writer w = new OutputStreamWriter(out, StandardCharsets.UTF_8);
            w.write("#version: 0.2\n");
            for (Merge m : bpe.merges()) {
                w.write(ByteLevelAlphabet.encode(bpe.bytesOf(m.left())));
                w.write(' ');
                w.write(ByteLevelAlphabet.encode(bpe.bytesOf(m.right())));
                w.write('\n');
            }
            w.flush();
        });
    }
}
