package org.sparkdpo.model.tokenizer;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.LegacyOverrides;
import com.hubspot.jinjava.el.JinjavaInterpreterResolver;
import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;
import com.hubspot.jinjava.lib.filter.Filter;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import jinjava.javax.el.CompositeELResolver;

import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.TextStyle;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Collectors;

/**
 * A Hugging Face chat template evaluated the way transformers' {@code apply_chat_template} does: Jinja with
 * {@code trim_blocks} and {@code lstrip_blocks}, no trailing newline kept, variables {@code messages},
 * {@code add_generation_prompt} and the special tokens, functions {@code raise_exception(msg)} and
 * {@code strftime_now(fmt)}, a Python-compatible {@code tojson}/{@code trim}, and Python str methods.
 * Rendered with HubSpot's jinjava; a Jinja feature jinjava cannot evaluate fails loudly with
 * {@link ChatTemplateException} rather than producing a silently different prompt. Immutable and thread-safe.
 *
 * <p>Known jinjava deviations: booleans print as {@code true}/{@code false} (Jinja: True/False), {@code none} prints as
 * an empty string (Jinja: None), and {@code not a == b} without parentheses fails to evaluate (an error, not a wrong
 * prompt). jinjava needs Guava 33: under spark-submit, Spark's Guava 14 must not shadow it.
 */
public final class ChatTemplate {

    /** Created on first render, so a Guava clash surfaces as an explained error, not a class-init failure. */
    private static final class Engine {
        static final Jinjava JINJAVA = newJinjava();
    }

    private final String source;
    private final String body;

    private ChatTemplate(String source) {
        this.source = source;
        // Jinja's default keep_trailing_newline=False drops one trailing newline of the template source.
        String b = source;
        if (b.endsWith("\r\n")) b = b.substring(0, b.length() - 2);
        else if (b.endsWith("\n")) b = b.substring(0, b.length() - 1);
        this.body = b;
    }

    public static ChatTemplate of(String source) {
        return new ChatTemplate(Objects.requireNonNull(source, "chat template source"));
    }

    /** The template text as given. */
    public String source() {
        return source;
    }

    /**
     * Renders the conversation.
     *
     * @param variables extra template variables: special tokens ({@code bos_token}, {@code eos_token}, ...),
     *     {@code tools}, {@code date_string}, ...; null values are left undefined, as HF leaves unset tokens
     * @throws ChatTemplateException with the template's own message if it calls {@code raise_exception}, or a
     *     description of what jinjava could not evaluate
     */
    public String render(List<ChatMessage> messages, boolean addGenerationPrompt, Map<String, ?> variables) {
        Objects.requireNonNull(messages, "messages");
        List<Map<String, Object>> msgs = new ArrayList<>(messages.size());
        for (ChatMessage m : messages) {
            Map<String, Object> d = new LinkedHashMap<>();
            d.put("role", m.role());
            d.put("content", m.content() == null ? "" : m.content());
            msgs.add(d);
        }
        Map<String, Object> ctx = new HashMap<>();
        if (variables != null) variables.forEach((k, v) -> { if (v != null) ctx.put(k, v); });
        ctx.put("messages", msgs);
        ctx.put("add_generation_prompt", addGenerationPrompt);

        RenderResult result;
        try {
            result = Engine.JINJAVA.renderForResult(body, ctx);
        } catch (LinkageError e) {
            throw new IllegalStateException("jinjava cannot run with the Guava on this classpath (it needs Guava >= 33;"
                    + " Spark's jars/guava-14.0.1.jar shadows it under spark-submit). Relocate com.google.common in the"
                    + " job jar or set spark.driver.userClassPathFirst / spark.executor.userClassPathFirst=true", e);
        }
        List<TemplateError> fatal = result.getErrors().stream()
                .filter(e -> e.getSeverity() == TemplateError.ErrorType.FATAL).collect(Collectors.toList());
        if (fatal.isEmpty()) return result.getOutput();
        for (TemplateError e : fatal) {
            for (Throwable t = e.getException(); t != null; t = t.getCause()) {
                if (t instanceof RaisedByTemplate) {
                    String msg = t.getMessage();
                    throw new ChatTemplateException("chat template rejected the conversation: " + msg, msg, t);
                }
            }
        }
        String detail = fatal.stream()
                .map(e -> "line " + e.getLineno() + ": " + e.getMessage()
                        + (e.getFieldName() == null ? "" : " [in: " + e.getFieldName() + "]"))
                .collect(Collectors.joining("; "));
        throw new ChatTemplateException("chat template could not be rendered (jinjava): " + detail, null,
                fatal.get(0).getException());
    }

    /** Thrown inside jinjava by {@code raise_exception}; unwrapped by {@link #render}. */
    static final class RaisedByTemplate extends RuntimeException {
        private static final long serialVersionUID = 1L;

        RaisedByTemplate(String message) {
            super(message, null, false, false);
        }
    }

    /** Template function {@code raise_exception(msg)}. */
    public static Object raiseException(Object message) {
        throw new RaisedByTemplate(String.valueOf(message));
    }

    /** Template function {@code strftime_now(fmt)}: the local time formatted with Python strftime directives. */
    public static String strftimeNow(String format) {
        return strftime(ZonedDateTime.now(), format);
    }

    static String strftime(ZonedDateTime t, String format) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < format.length(); i++) {
            char c = format.charAt(i);
            if (c != '%' || i + 1 == format.length()) { b.append(c); continue; }
            char d = format.charAt(++i);
            switch (d) {
                case 'd': b.append(String.format("%02d", t.getDayOfMonth())); break;
                case 'm': b.append(String.format("%02d", t.getMonthValue())); break;
                case 'Y': b.append(t.getYear()); break;
                case 'y': b.append(String.format("%02d", t.getYear() % 100)); break;
                case 'H': b.append(String.format("%02d", t.getHour())); break;
                case 'I': b.append(String.format("%02d", (t.getHour() + 11) % 12 + 1)); break;
                case 'M': b.append(String.format("%02d", t.getMinute())); break;
                case 'S': b.append(String.format("%02d", t.getSecond())); break;
                case 'p': b.append(t.getHour() < 12 ? "AM" : "PM"); break;
                case 'j': b.append(String.format("%03d", t.getDayOfYear())); break;
                case 'b': b.append(t.getMonth().getDisplayName(TextStyle.SHORT, Locale.ENGLISH)); break;
                case 'B': b.append(t.getMonth().getDisplayName(TextStyle.FULL, Locale.ENGLISH)); break;
                case 'a': b.append(t.getDayOfWeek().getDisplayName(TextStyle.SHORT, Locale.ENGLISH)); break;
                case 'A': b.append(t.getDayOfWeek().getDisplayName(TextStyle.FULL, Locale.ENGLISH)); break;
                case 'Z': b.append(t.getZone().getDisplayName(TextStyle.SHORT, Locale.ENGLISH)); break;
                case 'z': b.append(DateTimeFormatter.ofPattern("xx").format(t)); break;
                case '%': b.append('%'); break;
                default: throw new ChatTemplateException("strftime_now: unsupported directive %" + d + " in '" + format + "'");
            }
        }
        return b.toString();
    }

    private static Jinjava newJinjava() {
        // jinjava's defaults keep several pre-Jinja-2 behaviours; these overrides switch to Jinja semantics.
        // whitespaceRequiredWithinTokens stays false: with it, "{{x}}" and "{{- x }}" would be printed literally.
        // useNaturalOperatorPrecedence stays false: with it, "not x is defined" parses as "(not x) is defined" (wrong
        // silently); without it, Jinja precedence holds except that "not a == b" fails to evaluate (loudly).
        LegacyOverrides overrides = LegacyOverrides.newBuilder()
                .withEvaluateMapKeys(true)
                .withIterateOverMapKeys(true)
                .withUsePyishObjectMapper(true)
                .withUseNaturalOperatorPrecedence(false)
                .withParseWhitespaceControlStrictly(true)
                .withUseTrimmingForNotesAndExpressions(true) // "{{-" / "-}}" strip whitespace like Jinja
                .withKeepNullableLoopValues(true)
                .build();
        CompositeELResolver resolver = new CompositeELResolver();
        resolver.add(new PyStringMethods());
        resolver.add(JinjavaInterpreterResolver.DEFAULT_RESOLVER_READ_ONLY);
        JinjavaConfig config = JinjavaConfig.newBuilder()
                .withTrimBlocks(true)
                .withLstripBlocks(true)
                .withLegacyOverrides(overrides)
                .withElResolver(resolver)
                .build();
        Jinjava j = new Jinjava(config);
        j.getGlobalContext().registerFunction(
                new ELFunctionDefinition("", "raise_exception", ChatTemplate.class, "raiseException", Object.class));
        j.getGlobalContext().registerFunction(
                new ELFunctionDefinition("", "strftime_now", ChatTemplate.class, "strftimeNow", String.class));
        j.getGlobalContext().registerFilter(new PyTrimFilter());
        j.getGlobalContext().registerFilter(new PyToJsonFilter());
        return j;
    }

    /** Jinja's {@code trim}: Python {@code str.strip(chars)} (jinjava's trims only ASCII control/space). */
    static final class PyTrimFilter implements Filter {
        @Override
        public String getName() {
            return "trim";
        }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, String... args) {
            if (var == null) return "";
            return PyStringMethods.strip(var.toString(), args.length > 0 ? args[0] : null, true, true);
        }
    }

    /** transformers' {@code tojson}: {@code json.dumps(x, ensure_ascii=False, indent=indent)}. */
    static final class PyToJsonFilter implements Filter {
        @Override
        public String getName() {
            return "tojson";
        }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, String... args) {
            return org.sparkdpo.model.json.PythonJson.dumps(var, args.length > 0 && args[0] != null ? Integer.valueOf(args[0]) : null);
        }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, Object[] args, Map<String, Object> kwargs) {
            Object indent = kwargs != null && kwargs.get("indent") != null ? kwargs.get("indent")
                    : args != null && args.length > 0 ? args[0] : null;
            return org.sparkdpo.model.json.PythonJson.dumps(var, indent == null ? null : ((Number) (indent instanceof Number ? indent
                    : Long.valueOf(indent.toString()))).intValue());
        }
    }
}
