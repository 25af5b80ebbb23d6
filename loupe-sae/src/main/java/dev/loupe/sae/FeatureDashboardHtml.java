package dev.loupe.sae;

import dev.loupe.LoupeException;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

/**
 * A {@link FeatureDashboard} as one self-contained HTML page (no network): a sortable, searchable
 * list of units (index, density, maximum, top-activating tokens and the tokens they raise) and, for
 * the chosen one ({@code page.html#123} opens unit 123), its histogram, logit effects and example
 * contexts with every token coloured by the unit's activation. The data is the dashboard's JSON,
 * embedded.
 */
public final class FeatureDashboardHtml {
    private FeatureDashboardHtml() {}

    /** The page. */
    public static String page(FeatureDashboard dashboard) {
        String template;
        try (InputStream in = FeatureDashboardHtml.class.getResourceAsStream("feature-dashboard.html")) {
            if (in == null) throw new LoupeException("feature-dashboard.html is missing from the loupe-sae jar");
            template = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new LoupeException("cannot read the dashboard template: " + e.getMessage(), e);
        }
        String json = dashboard.json().toString()
                .replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026");   // safe inside <script>
        String title = dashboard.json().path("title").asText().replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
        return template.replace("__TITLE__", title).replace("__DATA__", json);
    }
}
