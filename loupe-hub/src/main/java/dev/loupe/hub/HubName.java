package dev.loupe.hub;

import dev.loupe.LoupeException;

import java.util.regex.Pattern;

/**
 * A model repository on the Hugging Face hub: {@code gpt2}, {@code distilgpt2},
 * {@code openai-community/gpt2-medium}. Legacy names without an owner are valid; the hub redirects
 * them to their current home.
 *
 * @param owner user or organisation, or null for a legacy top-level name
 * @param name  repository name
 */
public record HubName(String owner, String name) {
    private static final Pattern PART = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,95}");

    public HubName {
        if ((owner != null && !valid(owner)) || !valid(name)) {
            throw new LoupeException("'" + (owner == null ? name : owner + "/" + name)
                    + "' is not a hub model name (expected NAME or OWNER/NAME of letters, digits, '.', '_', '-')");
        }
    }

    private static boolean valid(String part) {
        return PART.matcher(part).matches() && !part.contains("..") && !part.endsWith(".");
    }

    /** Parses {@code NAME} or {@code OWNER/NAME}. */
    public static HubName parse(String s) {
        int slash = s.indexOf('/');
        if (slash < 0) return new HubName(null, s);
        if (s.indexOf('/', slash + 1) >= 0) {
            throw new LoupeException("'" + s + "' is not a hub model name (expected NAME or OWNER/NAME)");
        }
        return new HubName(s.substring(0, slash), s.substring(slash + 1));
    }

    /** True when {@code s} has the shape of a hub name (used to tell names from mistyped paths). */
    public static boolean looksLikeName(String s) {
        try {
            parse(s);
            return true;
        } catch (LoupeException e) {
            return false;
        }
    }

    /** {@code owner/name} or {@code name}: the repository id in URLs. */
    public String repoId() {
        return owner == null ? name : owner + "/" + name;
    }

    /** Directory name in Loupe's cache: {@code owner--name} or {@code name}. */
    public String cacheDirName() {
        return owner == null ? name : owner + "--" + name;
    }

    /** Directory name in the Hugging Face cache: {@code models--owner--name}. */
    public String huggingFaceDirName() {
        return "models--" + cacheDirName();
    }

    @Override
    public String toString() {
        return repoId();
    }
}
