//! Just enough PDF syntax to read the trailer, the catalog and a page of a
//! classic-xref PDF, and to copy their values byte for byte.
//!
//! A *node* is a parsed value together with its *span*: the byte range it
//! occupies in the file. Rewritten dictionaries are emitted from the spans of
//! the values they keep, so nothing is re-serialised and nothing can drift
//! (names with `#xx` escapes, reals, strings all stay exactly as written).

use std::ops::Range;

/// A PDF value, as far as the seal needs to understand it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Obj {
    /// `<< /Key value … >>`: entries in file order; the key is the name
    /// without its slash, as written (escapes not decoded).
    Dict(Vec<(Vec<u8>, Node)>),
    /// `[ … ]`.
    Array(Vec<Node>),
    /// `n g R`.
    Ref(u32, u16),
    /// An integer.
    Int(i64),
    /// A literal string `( … )`, escapes decoded.
    Str(Vec<u8>),
    /// Anything else the seal never looks into: reals, names, hex strings,
    /// booleans, null.
    Other,
}

/// A value and where it is in the file.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Node {
    pub obj: Obj,
    pub span: Range<usize>,
}

impl Node {
    /// The entry `key` of a dictionary.
    pub fn get(&self, key: &[u8]) -> Option<&Node> {
        match &self.obj {
            Obj::Dict(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The entry `key` when it is an indirect reference.
    pub fn get_ref(&self, key: &[u8]) -> Option<(u32, u16)> {
        match self.get(key)?.obj {
            Obj::Ref(n, g) => Some((n, g)),
            _ => None,
        }
    }

    /// The entry `key` when it is an integer.
    pub fn get_int(&self, key: &[u8]) -> Option<i64> {
        match self.get(key)?.obj {
            Obj::Int(i) => Some(i),
            _ => None,
        }
    }

    /// Whether the entry `key` is the name `/value`.
    pub fn name_is(&self, key: &[u8], value: &[u8], src: &[u8]) -> bool {
        self.get(key).is_some_and(|n| {
            let raw = &src[n.span.clone()];
            raw.first() == Some(&b'/') && &raw[1..] == value
        })
    }
}

/// Why bytes could not be read as PDF syntax (a message and an offset).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SyntaxError {
    pub at: usize,
    pub what: &'static str,
}

type Result<T> = std::result::Result<T, SyntaxError>;

fn is_ws(b: u8) -> bool {
    matches!(b, 0 | b'\t' | b'\n' | 0x0c | b'\r' | b' ')
}

fn is_delim(b: u8) -> bool {
    matches!(b, b'(' | b')' | b'<' | b'>' | b'[' | b']' | b'{' | b'}' | b'/' | b'%')
}

fn is_regular(b: u8) -> bool {
    !is_ws(b) && !is_delim(b)
}

/// A cursor over the file's bytes.
pub(crate) struct Lexer<'a> {
    src: &'a [u8],
    pub pos: usize,
}

impl<'a> Lexer<'a> {
    /// A cursor at `pos`.
    pub fn at(src: &'a [u8], pos: usize) -> Self {
        Self { src, pos }
    }

    fn err<T>(&self, what: &'static str) -> Result<T> {
        Err(SyntaxError { at: self.pos, what })
    }

    fn peek(&self) -> Option<u8> {
        self.src.get(self.pos).copied()
    }

    fn starts_with(&self, s: &[u8]) -> bool {
        self.src[self.pos.min(self.src.len())..].starts_with(s)
    }

    /// Skip white space and comments.
    pub fn skip_ws(&mut self) {
        while let Some(b) = self.peek() {
            if is_ws(b) {
                self.pos += 1;
            } else if b == b'%' {
                while self.peek().is_some_and(|b| b != b'\n' && b != b'\r') {
                    self.pos += 1;
                }
            } else {
                break;
            }
        }
    }

    /// The next run of regular characters (a keyword or a number).
    pub fn token(&mut self) -> &'a [u8] {
        self.skip_ws();
        let start = self.pos;
        while self.peek().is_some_and(is_regular) {
            self.pos += 1;
        }
        &self.src[start..self.pos]
    }

    /// Expect the keyword `kw` next.
    pub fn keyword(&mut self, kw: &'static str) -> Result<()> {
        let save = self.pos;
        if self.token() == kw.as_bytes() {
            Ok(())
        } else {
            self.pos = save;
            Err(SyntaxError { at: save, what: kw })
        }
    }

    /// An unsigned integer token.
    pub fn uint(&mut self) -> Result<u64> {
        let save = self.pos;
        let t = self.token();
        match std::str::from_utf8(t).ok().and_then(|s| s.parse().ok()) {
            Some(n) => Ok(n),
            None => {
                self.pos = save;
                self.err("an unsigned integer")
            }
        }
    }

    /// `n g obj`, returning `(n, g)`.
    pub fn object_header(&mut self) -> Result<(u32, u16)> {
        let n = self.uint()?;
        let g = self.uint()?;
        self.keyword("obj")?;
        match (u32::try_from(n), u16::try_from(g)) {
            (Ok(n), Ok(g)) => Ok((n, g)),
            _ => self.err("an object number"),
        }
    }

    /// One value.
    pub fn value(&mut self) -> Result<Node> {
        self.skip_ws();
        let start = self.pos;
        let obj = match self.peek() {
            None => return self.err("a value"),
            Some(b'<') if self.starts_with(b"<<") => self.dict()?,
            Some(b'<') => {
                match self.src[self.pos..].iter().position(|&b| b == b'>') {
                    Some(end) => self.pos += end + 1,
                    None => return self.err("the end of a hex string"),
                }
                Obj::Other
            }
            Some(b'(') => Obj::Str(self.literal()?),
            Some(b'[') => {
                self.pos += 1;
                let mut items = Vec::new();
                loop {
                    self.skip_ws();
                    match self.peek() {
                        Some(b']') => break,
                        None => return self.err("the end of an array"),
                        _ => items.push(self.value()?),
                    }
                }
                self.pos += 1;
                Obj::Array(items)
            }
            Some(b'/') => {
                self.pos += 1;
                while self.peek().is_some_and(is_regular) {
                    self.pos += 1;
                }
                Obj::Other
            }
            Some(b) if is_regular(b) => self.number_or_ref()?,
            Some(_) => return self.err("a value"),
        };
        Ok(Node { obj, span: start..self.pos })
    }

    fn number_or_ref(&mut self) -> Result<Obj> {
        let t = self.token();
        let Some(n) = std::str::from_utf8(t).ok().and_then(|s| s.parse::<i64>().ok()) else {
            // Reals, true, false, null.
            return Ok(Obj::Other);
        };
        // `n g R`: look ahead without committing.
        let save = self.pos;
        if let (Ok(g), Ok(())) = (self.uint(), self.keyword("R"))
            && let (Ok(n), Ok(g)) = (u32::try_from(n), u16::try_from(g))
        {
            return Ok(Obj::Ref(n, g));
        }
        self.pos = save;
        Ok(Obj::Int(n))
    }

    fn dict(&mut self) -> Result<Obj> {
        self.pos += 2;
        let mut entries = Vec::new();
        loop {
            self.skip_ws();
            if self.starts_with(b">>") {
                self.pos += 2;
                return Ok(Obj::Dict(entries));
            }
            if self.peek() != Some(b'/') {
                return self.err("a name key or >>");
            }
            self.pos += 1;
            let k = self.pos;
            while self.peek().is_some_and(is_regular) {
                self.pos += 1;
            }
            let key = self.src[k..self.pos].to_vec();
            entries.push((key, self.value()?));
        }
    }

    fn literal(&mut self) -> Result<Vec<u8>> {
        self.pos += 1;
        let mut out = Vec::new();
        let mut depth = 1;
        while let Some(b) = self.peek() {
            self.pos += 1;
            match b {
                b'\\' => {
                    let Some(e) = self.peek() else { break };
                    self.pos += 1;
                    out.push(match e {
                        b'n' => b'\n',
                        b'r' => b'\r',
                        b't' => b'\t',
                        b'b' => 0x08,
                        b'f' => 0x0c,
                        other => other,
                    });
                }
                b'(' => {
                    depth += 1;
                    out.push(b);
                }
                b')' => {
                    depth -= 1;
                    if depth == 0 {
                        return Ok(out);
                    }
                    out.push(b);
                }
                _ => out.push(b),
            }
        }
        self.err("the end of a literal string")
    }
}

/// Encode `text` as a PDF text string: a literal string when it is plain
/// ASCII, otherwise UTF-16BE with a byte order mark (the only Unicode form
/// every PDF reader accepts).
pub(crate) fn text_string(text: &str) -> String {
    if text.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        let mut s = String::from("(");
        for c in text.chars() {
            if matches!(c, '(' | ')' | '\\') {
                s.push('\\');
            }
            s.push(c);
        }
        s.push(')');
        s
    } else {
        let mut s = String::from("<FEFF");
        for unit in text.encode_utf16() {
            s.push_str(&format!("{unit:04X}"));
        }
        s.push('>');
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Node {
        Lexer::at(s.as_bytes(), 0).value().unwrap()
    }

    #[test]
    fn dictionaries_keep_references_integers_and_spans() {
        let src = "<< /Type /Page /Parent 2 0 R /Annots [5 0 R 6 0 R] /N 12 /T (a\\)b) /R 1.5 >>";
        let d = parse(src);
        assert_eq!(d.get_ref(b"Parent"), Some((2, 0)));
        assert_eq!(d.get_int(b"N"), Some(12));
        assert!(d.name_is(b"Type", b"Page", src.as_bytes()));
        let annots = d.get(b"Annots").unwrap();
        assert_eq!(&src[annots.span.clone()], "[5 0 R 6 0 R]");
        assert_eq!(d.get(b"T").unwrap().obj, Obj::Str(b"a)b".to_vec()));
    }

    #[test]
    fn text_strings_are_escaped_or_utf16() {
        assert_eq!(text_string("a (b)"), "(a \\(b\\))");
        assert_eq!(text_string("n°"), "<FEFF006E00B0>");
    }
}
