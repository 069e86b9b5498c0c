package osprey.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.IntStream;

/**
 * Cuts special tokens that appear literally in a text (for example {@code <|user|>}) out of it before any
 * merging, as llama.cpp's {@code tokenizer_st_partition} does. Merging could never produce them: they are
 * not built from smaller pieces, and a chat template has to reach the model as those ids.
 */
final class SpecialTokens {

    /** A piece of the input: either text still to be encoded ({@code token == -1}) or a token already found. */
    record Fragment(String text, int token) {
        static Fragment text(String text) {
            return new Fragment(text, -1);
        }

        static Fragment token(int id) {
            return new Fragment(null, id);
        }

        boolean isText() {
            return token < 0;
        }
    }

    private final Vocabulary vocab;
    // Longest first (in UTF-8 bytes, as llama.cpp sorts them), so "<|endoftext|>" is not cut up by a shorter
    // token it contains; equal lengths in id order, to be deterministic.
    private final int[] candidates;

    SpecialTokens(Vocabulary vocab) {
        this.vocab = vocab;
        this.candidates = IntStream.range(0, vocab.size())
                .filter(id -> isSpecial(vocab.type(id)) && !vocab.token(id).isEmpty())
                .boxed()
                .sorted(Comparator.<Integer>comparingInt(id -> -utf8Length(vocab.token(id)))
                        .thenComparingInt(id -> id))
                .mapToInt(Integer::intValue)
                .toArray();
    }

    /**
     * Splits {@code text} at every occurrence of a special token. With {@code parseSpecial} false, CONTROL and
     * UNKNOWN tokens stay ordinary text, but USER_DEFINED ones are still cut out: llama.cpp (following Hugging
     * Face tokenizers) treats an added token as part of the vocabulary's words, not as markup.
     */
    List<Fragment> split(String text, boolean parseSpecial) {
        List<Fragment> fragments = new ArrayList<>();
        if (text.isEmpty()) {
            return fragments;
        }
        fragments.add(Fragment.text(text));
        for (int id : candidates) {
            if (!parseSpecial && vocab.type(id) != TokenType.USER_DEFINED) {
                continue;
            }
            String special = vocab.token(id);
            List<Fragment> next = new ArrayList<>(fragments.size() + 2);
            for (Fragment fragment : fragments) {
                if (fragment.isText() && fragment.text().contains(special)) {
                    cut(fragment.text(), id, special, vocab.rstrip()[id], next);
                } else {
                    next.add(fragment);
                }
            }
            fragments = next;
        }
        return fragments;
    }

    private static void cut(String text, int id, String special, boolean rstrip, List<Fragment> out) {
        int from = 0;
        while (true) {
            int at = text.indexOf(special, from);
            if (at < 0) {
                if (from < text.length()) {
                    out.add(Fragment.text(text.substring(from)));
                }
                return;
            }
            if (at > from) {
                out.add(Fragment.text(text.substring(from, at)));
            }
            out.add(Fragment.token(id));
            from = at + special.length();
            if (rstrip) {
                while (from < text.length() && isCSpace(text.charAt(from))) {
                    from++;
                }
            }
        }
    }

    private static boolean isSpecial(int type) {
        return type == TokenType.CONTROL || type == TokenType.USER_DEFINED || type == TokenType.UNKNOWN;
    }

    // C's isspace() in the "C" locale, which is what llama.cpp strips with.
    private static boolean isCSpace(char c) {
        return c == ' ' || c == '\t' || c == '\n' || c == 0x0B || c == '\f' || c == '\r';
    }

    private static int utf8Length(String s) {
        return s.getBytes(StandardCharsets.UTF_8).length;
    }
}
