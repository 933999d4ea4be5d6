//! The cursor that reads PDF values. The bytes may come from anyone (the
//! public verification endpoint): the [`Lexer`] recurses at most
//! [`MAX_DEPTH`] levels, counts every value and every byte it scans against
//! the reading's [`Budget`], bounds strings to [`MAX_STRING_BYTES`], and
//! reads only through `get`.

use super::limits::{Budget, Limit, MAX_DEPTH, MAX_STRING_BYTES};
use super::syntax::{Node, Obj};

/// Why bytes could not be read as PDF syntax.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SyntaxError {
    /// Not what PDF syntax allows here: what was expected, and where.
    Malformed {
        /// Offset of the problem.
        at: usize,
        /// What was expected there.
        what: &'static str,
    },
    /// A bound of [`super::limits`] was reached at `at`.
    Limit {
        /// Offset where the bound was reached.
        at: usize,
        /// Which bound.
        limit: Limit,
    },
}

impl std::fmt::Display for SyntaxError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Malformed { at, what } => write!(f, "expected {what} at byte {at}"),
            Self::Limit { at, limit } => write!(f, "{limit} (at byte {at})"),
        }
    }
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

/// A cursor over the file's bytes, spending the reading's [`Budget`] as it
/// goes. Its position never passes the end of the file, and every read goes
/// through `get`, so no offset found in the file can make it panic.
pub(crate) struct Lexer<'a> {
    src: &'a [u8],
    pos: usize,
    budget: &'a Budget,
}

impl<'a> Lexer<'a> {
    /// A cursor at `pos` (the end of the file if `pos` is past it).
    pub fn at(src: &'a [u8], pos: usize, budget: &'a Budget) -> Self {
        Self { src, pos: pos.min(src.len()), budget }
    }

    /// The current offset.
    pub fn pos(&self) -> usize {
        self.pos
    }

    fn err<T>(&self, what: &'static str) -> Result<T> {
        Err(SyntaxError::Malformed { at: self.pos, what })
    }

    fn limit<T>(&self, limit: Limit) -> Result<T> {
        Err(SyntaxError::Limit { at: self.pos, limit })
    }

    fn spend(&self, units: usize) -> Result<()> {
        self.budget.spend(units).or_else(|l| self.limit(l))
    }

    fn peek(&self) -> Option<u8> {
        self.src.get(self.pos).copied()
    }

    fn rest(&self) -> &'a [u8] {
        self.src.get(self.pos..).unwrap_or_default()
    }

    fn starts_with(&self, s: &[u8]) -> bool {
        self.rest().starts_with(s)
    }

    /// Move `n` bytes on (never past the end).
    fn advance(&mut self, n: usize) {
        self.pos = self.pos.saturating_add(n).min(self.src.len());
    }

    /// Skip white space and comments, paying for them.
    fn skip_ws(&mut self) -> Result<()> {
        let start = self.pos;
        while let Some(b) = self.peek() {
            if is_ws(b) {
                self.advance(1);
            } else if b == b'%' {
                while self.peek().is_some_and(|b| b != b'\n' && b != b'\r') {
                    self.advance(1);
                }
            } else {
                break;
            }
        }
        self.spend(self.pos - start)
    }

    /// Skip a run of regular characters, at most [`MAX_STRING_BYTES`] long.
    fn regular_run(&mut self) -> Result<&'a [u8]> {
        let rest = self.rest();
        let len = rest.iter().position(|&b| !is_regular(b)).unwrap_or(rest.len());
        if len > MAX_STRING_BYTES {
            return self.limit(Limit::StringBytes);
        }
        self.spend(len.saturating_add(1))?;
        self.advance(len);
        Ok(rest.get(..len).unwrap_or_default())
    }

    /// The next run of regular characters (a keyword or a number).
    pub fn token(&mut self) -> Result<&'a [u8]> {
        self.skip_ws()?;
        self.regular_run()
    }

    /// Expect the keyword `kw` next.
    pub fn keyword(&mut self, kw: &'static str) -> Result<()> {
        let save = self.pos;
        if self.token()? == kw.as_bytes() {
            Ok(())
        } else {
            self.pos = save;
            Err(SyntaxError::Malformed { at: save, what: kw })
        }
    }

    /// An unsigned integer token.
    pub fn uint(&mut self) -> Result<u64> {
        let save = self.pos;
        let t = self.token()?;
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

    /// One value, nested at most [`MAX_DEPTH`] levels.
    pub fn value(&mut self) -> Result<Node> {
        self.value_at(0)
    }

    fn value_at(&mut self, depth: usize) -> Result<Node> {
        if depth >= MAX_DEPTH {
            return self.limit(Limit::Depth);
        }
        self.budget.value().or_else(|l| self.limit(l))?;
        self.skip_ws()?;
        let start = self.pos;
        let obj = match self.peek() {
            None => return self.err("a value"),
            Some(b'<') if self.starts_with(b"<<") => self.dict(depth)?,
            Some(b'<') => {
                self.hex()?;
                Obj::Other
            }
            Some(b'(') => Obj::Str(self.literal()?),
            Some(b'[') => self.array(depth)?,
            Some(b'/') => {
                self.advance(1);
                self.regular_run()?;
                Obj::Other
            }
            Some(b) if is_regular(b) => self.number_or_ref()?,
            Some(_) => return self.err("a value"),
        };
        Ok(Node { obj, span: start..self.pos })
    }

    fn number_or_ref(&mut self) -> Result<Obj> {
        let t = self.token()?;
        let Some(n) = std::str::from_utf8(t).ok().and_then(|s| s.parse::<i64>().ok()) else {
            // Reals, true, false, null.
            return Ok(Obj::Other);
        };
        // `n g R`: look ahead without committing (a bound reached while
        // looking ahead is still reached).
        let save = self.pos;
        let generation = match self.uint() {
            Ok(g) => Some(g),
            Err(e @ SyntaxError::Limit { .. }) => return Err(e),
            Err(SyntaxError::Malformed { .. }) => None,
        };
        if let Some(g) = generation {
            match self.keyword("R") {
                Ok(()) => {
                    if let (Ok(n), Ok(g)) = (u32::try_from(n), u16::try_from(g)) {
                        return Ok(Obj::Ref(n, g));
                    }
                }
                Err(e @ SyntaxError::Limit { .. }) => return Err(e),
                Err(SyntaxError::Malformed { .. }) => {}
            }
        }
        self.pos = save;
        Ok(Obj::Int(n))
    }

    /// `<…>`: skipped, at most [`MAX_STRING_BYTES`] long.
    fn hex(&mut self) -> Result<()> {
        let rest = self.rest();
        let window = rest.get(..MAX_STRING_BYTES.saturating_add(2)).unwrap_or(rest);
        match window.iter().position(|&b| b == b'>') {
            Some(end) => {
                self.spend(end.saturating_add(1))?;
                self.advance(end.saturating_add(1));
                Ok(())
            }
            None if window.len() < rest.len() => self.limit(Limit::StringBytes),
            None => self.err("the end of a hex string"),
        }
    }

    fn array(&mut self, depth: usize) -> Result<Obj> {
        self.advance(1);
        let mut items = Vec::new();
        loop {
            self.skip_ws()?;
            match self.peek() {
                Some(b']') => break,
                None => return self.err("the end of an array"),
                _ => items.push(self.value_at(depth + 1)?),
            }
        }
        self.advance(1);
        Ok(Obj::Array(items))
    }

    fn dict(&mut self, depth: usize) -> Result<Obj> {
        self.advance(2);
        let mut entries = Vec::new();
        loop {
            self.skip_ws()?;
            if self.starts_with(b">>") {
                self.advance(2);
                return Ok(Obj::Dict(entries));
            }
            if self.peek() != Some(b'/') {
                return self.err("a name key or >>");
            }
            self.advance(1);
            let key = self.regular_run()?.to_vec();
            entries.push((key, self.value_at(depth + 1)?));
        }
    }

    /// `( … )` with its escapes decoded, at most [`MAX_STRING_BYTES`] long.
    fn literal(&mut self) -> Result<Vec<u8>> {
        let start = self.pos;
        self.advance(1);
        let mut out = Vec::new();
        let mut depth = 1_usize;
        while let Some(b) = self.peek() {
            if self.pos - start > MAX_STRING_BYTES {
                return self.limit(Limit::StringBytes);
            }
            self.advance(1);
            match b {
                b'\\' => {
                    let Some(e) = self.peek() else { break };
                    self.advance(1);
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
                        self.spend(self.pos - start)?;
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
