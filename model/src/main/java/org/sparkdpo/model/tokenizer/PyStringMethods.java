package org.sparkdpo.model.tokenizer;

import jinjava.javax.el.ELContext;
import jinjava.javax.el.ELResolver;

import java.beans.FeatureDescriptor;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;

/**
 * Python {@code str} methods that Hugging Face chat templates call ({@code content.strip()},
 * {@code content.startswith('<tool_response>')}, {@code content.split('</think>')}, ...). Jinja exposes Python string
 * methods; jinjava only exposes Java ones (Java's {@code strip()} exists but {@code startswith} does not, and Java's
 * {@code split} takes a regex). Placed before jinjava's own resolver, so only the names below change meaning.
 */
final class PyStringMethods extends ELResolver {

    @Override
    public Object invoke(ELContext context, Object base, Object method, Class<?>[] paramTypes, Object[] params) {
        if (!(base instanceof String) || !(method instanceof String)) return null;
        String s = (String) base;
        Object[] a = params == null ? new Object[0] : params;
        Object result;
        switch ((String) method) {
            case "strip": result = strip(s, arg(a, 0), true, true); break;
            case "lstrip": result = strip(s, arg(a, 0), true, false); break;
            case "rstrip": result = strip(s, arg(a, 0), false, true); break;
            case "startswith": result = a.length == 1 && s.startsWith(str(a[0])); break;
            case "endswith": result = a.length == 1 && s.endsWith(str(a[0])); break;
            case "upper": result = s.toUpperCase(Locale.ROOT); break;
            case "lower": result = s.toLowerCase(Locale.ROOT); break;
            case "title": result = title(s); break;
            case "capitalize": result = s.isEmpty() ? s : s.substring(0, 1).toUpperCase(Locale.ROOT) + s.substring(1).toLowerCase(Locale.ROOT); break;
            case "split": result = split(s, arg(a, 0), a.length > 1 && a[1] != null ? ((Number) a[1]).intValue() : -1); break;
            case "find": result = (long) s.indexOf(str(a[0])); break;
            case "count": result = (long) count(s, str(a[0])); break;
            case "replace": result = s.replace(str(a[0]), str(a[1])); break;
            default: return null;
        }
        context.setPropertyResolved(true);
        return result;
    }

    private static String arg(Object[] a, int i) {
        return a.length > i && a[i] != null ? str(a[i]) : null;
    }

    private static String str(Object o) {
        return String.valueOf(o);
    }

    /** Python's str.isspace for one char: Unicode White_Space plus the separators Python adds (U+001C..U+001F). */
    static boolean isPyWhitespace(char c) {
        return Character.isWhitespace(c) || Character.isSpaceChar(c) || c == '\u0085';
    }

    static String strip(String s, String chars, boolean left, boolean right) {
        int b = 0, e = s.length();
        if (left) while (b < e && stripped(s.charAt(b), chars)) b++;
        if (right) while (e > b && stripped(s.charAt(e - 1), chars)) e--;
        return s.substring(b, e);
    }

    private static boolean stripped(char c, String chars) {
        return chars == null ? isPyWhitespace(c) : chars.indexOf(c) >= 0;
    }

    private static List<String> split(String s, String sep, int maxSplit) {
        List<String> out = new ArrayList<>();
        if (sep == null) { // Python: split on runs of whitespace, drop empty ends
            int i = 0, n = s.length();
            while (true) {
                while (i < n && isPyWhitespace(s.charAt(i))) i++;
                if (i >= n) break;
                if (maxSplit >= 0 && out.size() == maxSplit) { out.add(strip(s.substring(i), null, false, true)); break; }
                int j = i;
                while (j < n && !isPyWhitespace(s.charAt(j))) j++;
                out.add(s.substring(i, j));
                i = j;
            }
            return out;
        }
        if (sep.isEmpty()) throw new IllegalArgumentException("empty separator");
        int from = 0;
        while (maxSplit < 0 || out.size() < maxSplit) {
            int k = s.indexOf(sep, from);
            if (k < 0) break;
            out.add(s.substring(from, k));
            from = k + sep.length();
        }
        out.add(s.substring(from));
        return out;
    }

    private static int count(String s, String sub) {
        if (sub.isEmpty()) return s.length() + 1;
        int n = 0;
        for (int k = s.indexOf(sub); k >= 0; k = s.indexOf(sub, k + sub.length())) n++;
        return n;
    }

    private static String title(String s) {
        StringBuilder b = new StringBuilder(s.length());
        boolean prevCased = false;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            b.append(prevCased ? Character.toLowerCase(c) : Character.toUpperCase(c));
            prevCased = Character.isLetter(c);
        }
        return b.toString();
    }

    // Property access is left to jinjava's resolver.
    @Override public Object getValue(ELContext context, Object base, Object property) { return null; }
    @Override public Class<?> getType(ELContext context, Object base, Object property) { return null; }
    @Override public void setValue(ELContext context, Object base, Object property, Object value) { }
    @Override public boolean isReadOnly(ELContext context, Object base, Object property) { return true; }
    @Override public Iterator<FeatureDescriptor> getFeatureDescriptors(ELContext context, Object base) { return null; }
    @Override public Class<?> getCommonPropertyType(ELContext context, Object base) { return null; }
}
