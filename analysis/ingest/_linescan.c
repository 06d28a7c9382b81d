/* The compiled half of analysis/ingest/linescan.py: one pass over a piece of text.
 *
 * scan(buf, start, end, token, before, after) -> (lines, tabs, hits)
 *
 *   buf[start:end] is whole lines (buf[end - 1] is a line break). Returns the number of
 *   line breaks and of tabs in it, and every place where `token` stands there as a whole
 *   number in its cell: the byte before it is in the 256-entry table `before` (or the
 *   token starts the text) and the byte after it is in `after`. Each hit is
 *   (position in buf, line breaks between start and the position).
 *
 * The same rule as the numpy scanner in linescan.py (_NumpyScanner), which is used when
 * this module was not built; the tests run both on the same inputs. The loop runs with
 * the interpreter released, so the thread that inflates the file goes on meanwhile.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <string.h>

typedef struct {
    Py_ssize_t pos, lines;
} Hit;

/* Line breaks and tabs in p[0:n]. The inner loops count into LANES byte-sized counters at
 * a time (at most 255 rows, so none overflows), which compilers turn into vector
 * compares and adds; the rest is counted byte by byte. */
#define LANES 32
#define ROWS 255
static void count(const unsigned char *p, Py_ssize_t n, Py_ssize_t *lines, Py_ssize_t *tabs)
{
    size_t nl = 0, tab = 0;
    while (n >= LANES) {
        Py_ssize_t rows = n / LANES < ROWS ? n / LANES : ROWS;
        unsigned char a[LANES] = {0}, b[LANES] = {0};
        for (Py_ssize_t r = 0; r < rows; r++, p += LANES) {
            for (int l = 0; l < LANES; l++) {
                a[l] += p[l] == '\n';
                b[l] += p[l] == '\t';
            }
        }
        for (int l = 0; l < LANES; l++) {
            nl += a[l];
            tab += b[l];
        }
        n -= rows * LANES;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        nl += p[i] == '\n';
        tab += p[i] == '\t';
    }
    *lines += (Py_ssize_t)nl;
    *tabs += (Py_ssize_t)tab;
}

/* The first place token[0:k] occurs in p[0:n], or NULL. */
#if defined(__SSE2__) && (defined(__GNUC__) || defined(__clang__))
#include <emmintrin.h>
/* 16 places at a time: where the token's first byte and its last byte both stand in their
 * places (vector compares), then the bytes between them are compared at those places only. */
static const unsigned char *find(const unsigned char *p, Py_ssize_t n, const unsigned char *token, Py_ssize_t k)
{
    const __m128i first = _mm_set1_epi8((char)token[0]), last = _mm_set1_epi8((char)token[k - 1]);
    Py_ssize_t i = 0;
    for (; i + k - 1 + 16 <= n; i += 16) {
        __m128i a = _mm_loadu_si128((const __m128i *)(p + i));
        __m128i b = _mm_loadu_si128((const __m128i *)(p + i + k - 1));
        unsigned mask = (unsigned)_mm_movemask_epi8(_mm_and_si128(_mm_cmpeq_epi8(a, first), _mm_cmpeq_epi8(b, last)));
        while (mask) {
            int j = __builtin_ctz(mask);
            if (k <= 2 || memcmp(p + i + j + 1, token + 1, (size_t)(k - 2)) == 0)
                return p + i + j;
            mask &= mask - 1;
        }
    }
    for (; i + k <= n; i++)
        if (p[i] == token[0] && memcmp(p + i, token, (size_t)k) == 0)
            return p + i;
    return NULL;
}
#else
static const unsigned char *find(const unsigned char *p, Py_ssize_t n, const unsigned char *token, Py_ssize_t k)
{
    const unsigned char *end = p + n;
    while (end - p >= k) {
        const unsigned char *at = memchr(p, token[0], (size_t)(end - p - k + 1));
        if (at == NULL)
            return NULL;
        if (memcmp(at + 1, token + 1, (size_t)(k - 1)) == 0)
            return at;
        p = at + 1;
    }
    return NULL;
}
#endif

static PyObject *scan(PyObject *self, PyObject *args)
{
    Py_buffer buf, token, before, after;
    Py_ssize_t start, end;
    if (!PyArg_ParseTuple(args, "y*nny*y*y*", &buf, &start, &end, &token, &before, &after))
        return NULL;
    PyObject *result = NULL;
    Hit *hits = NULL;
    Py_ssize_t n_hits = 0, cap = 0, lines = 0, tabs = 0;
    int failed = 0;
    if (start < 0 || end > buf.len || start > end || token.len < 1 || before.len != 256 || after.len != 256) {
        PyErr_SetString(PyExc_ValueError, "scan: start/end outside the buffer, empty token, or tables not of 256 bytes");
        goto done;
    }
    const unsigned char *text = (const unsigned char *)buf.buf + start;
    const unsigned char *tok = token.buf, *ok_before = before.buf, *ok_after = after.buf;
    Py_ssize_t n = end - start, k = token.len;

    Py_BEGIN_ALLOW_THREADS
    Py_ssize_t counted = 0; /* line breaks and tabs are counted in text[0:counted] */
    const unsigned char *at = text;
    while ((at = find(at, n - (at - text), tok, k)) != NULL) {
        Py_ssize_t i = at - text;
        at += 1;
        if (i + k >= n) /* no byte after the token: the text ends in a line break, so it is not a hit */
            continue;
        if ((i > 0 && !ok_before[text[i - 1]]) || !ok_after[text[i + k]])
            continue;
        count(text + counted, i - counted, &lines, &tabs);
        counted = i;
        if (n_hits == cap) {
            Py_ssize_t grown = cap ? 2 * cap : 256;
            Hit *more = realloc(hits, (size_t)grown * sizeof(Hit));
            if (more == NULL) {
                failed = 1;
                break;
            }
            hits = more;
            cap = grown;
        }
        hits[n_hits].pos = start + i;
        hits[n_hits].lines = lines;
        n_hits++;
    }
    if (!failed)
        count(text + counted, n - counted, &lines, &tabs);
    Py_END_ALLOW_THREADS

    if (failed) {
        PyErr_NoMemory();
        goto done;
    }
    PyObject *list = PyList_New(n_hits);
    if (list == NULL)
        goto done;
    for (Py_ssize_t h = 0; h < n_hits; h++) {
        PyObject *pair = Py_BuildValue("(nn)", hits[h].pos, hits[h].lines);
        if (pair == NULL) {
            Py_DECREF(list);
            goto done;
        }
        PyList_SET_ITEM(list, h, pair);
    }
    result = Py_BuildValue("(nnN)", lines, tabs, list);
done:
    free(hits);
    PyBuffer_Release(&buf);
    PyBuffer_Release(&token);
    PyBuffer_Release(&before);
    PyBuffer_Release(&after);
    return result;
}

static PyMethodDef methods[] = {
    {"scan", scan, METH_VARARGS,
     "scan(buf, start, end, token, before, after) -> (lines, tabs, [(position, line breaks before it), ...])"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_linescan",
    "One pass over whole lines of text: line breaks, tabs and the places a token stands as a whole number.",
    -1, methods,
};

PyMODINIT_FUNC PyInit__linescan(void)
{
    return PyModule_Create(&module);
}
