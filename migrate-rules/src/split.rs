//! SQL statement splitting by SQLite's lexical rules.
//!
//! The splitter knows what SQLite's tokenizer knows and nothing more: `'...'` strings, `"..."`,
//! `` `...` `` and `[...]` identifiers, `--` and `/* */` comments, and the rule of
//! `sqlite3_complete()` that a `CREATE [TEMP] TRIGGER` body runs until `; END ;`. It does not
//! parse SQL: SQLite does that when the statement runs, and reports errors far better than a
//! second parser could.
//!
//! ```
//! use migrate_rules::split::split;
//!
//! let sql = "CREATE TABLE t (x TEXT DEFAULT ';');\n\n-- note\nINSERT INTO t VALUES ('a;b');\n";
//! let statements = split(sql).statements;
//! assert_eq!(statements.len(), 2);
//! assert_eq!(statements[1].line, 4);
//! assert_eq!(statements[1].text(sql), "INSERT INTO t VALUES ('a;b');");
//! ```

use std::ops::Range;

/// One statement of a script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    /// The bytes this statement owns: from the end of the previous statement (or the start of
    /// the script) to the end of its terminating `;`, or to the end of the script for the last
    /// statement. The spans of a script's statements cover it without gap or overlap.
    pub span: Range<usize>,
    /// Byte offset of the statement's first token.
    pub start: usize,
    /// Byte offset just past the statement's `;` (or its last token when it has none).
    pub end: usize,
    /// 1-based line of the statement's first token.
    pub line: u32,
}

impl Statement {
    /// The statement's text, from its first token through its `;`.
    pub fn text<'a>(&self, script: &'a str) -> &'a str {
        &script[self.start..self.end]
    }
}

/// A quoted token that never ends: SQLite rejects the script, so the macro does too.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unterminated {
    /// The opening quote character.
    pub quote: char,
    /// 1-based line of the opening quote.
    pub line: u32,
}

/// The result of [`split`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Split {
    /// The statements, in order. Empty when the script has only whitespace and comments.
    pub statements: Vec<Statement>,
    /// Set when a string or quoted identifier runs to the end of the script.
    pub unterminated: Option<Unterminated>,
}

/// Splits a script into statements.
///
/// Never fails: whatever the input, the statements' spans cover it (see [`Statement::span`]),
/// and a string left open is reported in [`Split::unterminated`].
pub fn split(script: &str) -> Split {
    let mut result = Split::default();
    let mut state = State::Start;
    let mut span_start = 0;
    let mut first_token: Option<(usize, u32)> = None;
    let mut last_token_end = 0;
    let mut lexer = Lexer::new(script);

    while let Some(token) = lexer.next_token() {
        if token.kind == TokenKind::Trivia {
            continue;
        }
        if let TokenKind::Unterminated(quote) = token.kind {
            result.unterminated.get_or_insert(Unterminated {
                quote,
                line: token.line,
            });
        }
        let class = classify(&token, script);
        // A lone `;` before any token is an empty statement: it belongs to the next one's span.
        if !(class == Class::Semi && first_token.is_none()) {
            first_token.get_or_insert((token.range.start, token.line));
        }
        last_token_end = token.range.end;
        state = state.next(class);
        if state == State::Start
            && let Some((start, line)) = first_token.take()
        {
            result.statements.push(Statement {
                span: span_start..token.range.end,
                start,
                end: token.range.end,
                line,
            });
            span_start = token.range.end;
        }
    }
    if let Some((start, line)) = first_token {
        result.statements.push(Statement {
            span: span_start..script.len(),
            start,
            end: last_token_end,
            line,
        });
    } else if let Some(last) = result.statements.last_mut() {
        last.span.end = script.len();
    }
    result
}

/// A statement for a message: on one line, cut to about 200 characters. The runtime and the
/// build-time verification report failed statements with it.
///
/// ```
/// assert_eq!(migrate_rules::split::shorten("SELECT\n    1;"), "SELECT 1;");
/// ```
pub fn shorten(statement: &str) -> String {
    let one_line = statement.split_whitespace().collect::<Vec<_>>().join(" ");
    match one_line.char_indices().nth(200) {
        Some((cut, _)) => format!("{}...", &one_line[..cut]),
        None => one_line,
    }
}

/// The offset of the first token in `text`, skipping whitespace, comments and empty `;`s.
///
/// The runtime stores only where each statement ends; this recovers where it starts.
pub fn skip_trivia(text: &str) -> usize {
    let mut lexer = Lexer::new(text);
    while let Some(token) = lexer.next_token() {
        let is_empty_statement =
            token.kind == TokenKind::Other && &text[token.range.clone()] == ";";
        if token.kind != TokenKind::Trivia && !is_empty_statement {
            return token.range.start;
        }
    }
    text.len()
}

/// The tokens of `text`, each with `true` when it is whitespace or a comment: what the
/// verifier normalises SQL with, so that quoted strings and identifiers are never altered.
#[cfg(feature = "verify")]
pub(crate) fn tokens(text: &str) -> impl Iterator<Item = (bool, &str)> {
    Lexer::new(text)
        .tokens()
        .map(move |token| (token.kind == TokenKind::Trivia, &text[token.range]))
}

/// A character SQLite cannot take where it stands, found by [`stray_character`].
///
/// ```
/// use migrate_rules::StrayCharacter;
///
/// let stray = migrate_rules::split::stray_character("SELECT 1;\0").unwrap();
/// assert_eq!(stray, StrayCharacter { character: '\0', line: 1, column: 10 });
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StrayCharacter {
    /// The character: NUL, another ASCII control character, or a byte-order mark.
    pub character: char,
    /// 1-based line.
    pub line: u32,
    /// 1-based column, counted in characters.
    pub column: u32,
}

/// The first character of `script` that would make it fail, or run differently than it reads,
/// once it reaches SQLite; the macro refuses such a file instead of leaving it to run time.
///
/// - NUL, anywhere: SQLite stops reading SQL text at a NUL byte, so what follows would be
///   lost (rusqlite reports "bad parameter or other API misuse").
/// - ASCII control characters other than tab, line feed, form feed and carriage return
///   (`0x01`-`0x08`, `0x0b`, `0x0e`-`0x1f`, `0x7f`) outside strings, quoted identifiers and
///   comments: SQLite's tokenizer rejects each one ("unrecognized token"). Inside a string or
///   a comment SQLite takes them, so they stay allowed there.
/// - A byte-order mark (`U+FEFF`) outside strings, quoted identifiers and comments, other than
///   the one a file may start with (removed by [`crate::checksum::normalize`]): left by joining
///   files, it is invisible, glues onto the next word for `sqlite3_complete()` and this
///   splitter (a `CREATE TRIGGER` after it is no longer seen, and its body is split at its
///   first `;`), yet SQLite's tokenizer skips it as whitespace.
///
/// ```
/// use migrate_rules::split::stray_character;
///
/// let stray = stray_character("SELECT 1;\nSELECT\u{1} 2;\n").unwrap();
/// assert_eq!((stray.character, stray.line, stray.column), ('\u{1}', 2, 7));
/// assert!(stray_character("SELECT '\u{1}'; -- \u{feff}\n").is_none());
/// ```
pub fn stray_character(script: &str) -> Option<StrayCharacter> {
    let at = match script.find('\0') {
        Some(at) => Some(at),
        None => Lexer::new(script)
            .tokens()
            .filter(|token| matches!(token.kind, TokenKind::Word | TokenKind::Other))
            // Strings and quoted identifiers hold data and names, taken as they are.
            .filter(|token| !script[token.range.clone()].starts_with(['\'', '"', '`', '[']))
            .find_map(|token| {
                script[token.range.clone()]
                    .char_indices()
                    .find(|&(_, c)| is_stray(c))
                    .map(|(offset, _)| token.range.start + offset)
            }),
    }?;
    let before = &script[..at];
    let line_start = before.rfind('\n').map_or(0, |newline| newline + 1);
    Some(StrayCharacter {
        character: script[at..].chars().next()?,
        line: 1 + before.matches('\n').count() as u32,
        column: 1 + script[line_start..at].chars().count() as u32,
    })
}

/// Characters SQLite cannot take outside strings and comments (NUL is refused everywhere).
fn is_stray(c: char) -> bool {
    c == '\u{feff}' || (c.is_ascii_control() && !matches!(c, '\t' | '\n' | '\x0c' | '\r'))
}

/// A statement that cannot run inside a transaction, found by [`transaction_conflict`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TransactionConflict {
    /// `BEGIN`: opens a transaction of its own.
    Begin,
    /// `COMMIT`: ends the open transaction.
    Commit,
    /// `END`: `COMMIT` by another name.
    End,
    /// `ROLLBACK`.
    Rollback,
    /// `SAVEPOINT`.
    Savepoint,
    /// `RELEASE`.
    Release,
    /// `VACUUM`.
    Vacuum,
    /// `ATTACH`.
    Attach,
    /// `DETACH`.
    Detach,
    /// `PRAGMA foreign_keys`, which SQLite ignores inside a transaction.
    PragmaForeignKeys,
    /// `PRAGMA journal_mode`, which SQLite rejects inside a transaction.
    PragmaJournalMode,
}

impl TransactionConflict {
    /// What the statement is, as the user would name it: `VACUUM`, `PRAGMA journal_mode`.
    pub fn as_str(self) -> &'static str {
        match self {
            TransactionConflict::Begin => "BEGIN",
            TransactionConflict::Commit => "COMMIT",
            TransactionConflict::End => "END",
            TransactionConflict::Rollback => "ROLLBACK",
            TransactionConflict::Savepoint => "SAVEPOINT",
            TransactionConflict::Release => "RELEASE",
            TransactionConflict::Vacuum => "VACUUM",
            TransactionConflict::Attach => "ATTACH",
            TransactionConflict::Detach => "DETACH",
            TransactionConflict::PragmaForeignKeys => "PRAGMA foreign_keys",
            TransactionConflict::PragmaJournalMode => "PRAGMA journal_mode",
        }
    }

    /// True for `COMMIT` and `END`, which close a transaction the script opened.
    pub fn commits(self) -> bool {
        matches!(self, TransactionConflict::Commit | TransactionConflict::End)
    }
}

impl std::fmt::Display for TransactionConflict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Returns what makes `statement` impossible inside a transaction, if anything.
///
/// Covers transaction control of its own (`BEGIN`, `COMMIT`, `END`, `ROLLBACK`, `SAVEPOINT`,
/// `RELEASE`), `VACUUM`, `ATTACH`, `DETACH`, and the pragmas SQLite ignores or rejects inside a
/// transaction (`foreign_keys`, `journal_mode`).
///
/// ```
/// use migrate_rules::split::{TransactionConflict, transaction_conflict};
///
/// assert_eq!(
///     transaction_conflict("pragma main.journal_mode = wal"),
///     Some(TransactionConflict::PragmaJournalMode)
/// );
/// assert!(transaction_conflict("CREATE TABLE vacuum_log (x)").is_none());
/// ```
pub fn transaction_conflict(statement: &str) -> Option<TransactionConflict> {
    let mut words = Lexer::new(statement)
        .tokens()
        .filter(|t| t.kind != TokenKind::Trivia)
        .map(|t| &statement[t.range]);
    let first = words.next()?.to_ascii_uppercase();
    let conflict = match first.as_str() {
        "BEGIN" => TransactionConflict::Begin,
        "COMMIT" => TransactionConflict::Commit,
        "END" => TransactionConflict::End,
        "ROLLBACK" => TransactionConflict::Rollback,
        "SAVEPOINT" => TransactionConflict::Savepoint,
        "RELEASE" => TransactionConflict::Release,
        "VACUUM" => TransactionConflict::Vacuum,
        "ATTACH" => TransactionConflict::Attach,
        "DETACH" => TransactionConflict::Detach,
        "PRAGMA" => {
            let mut name = words.next()?;
            if words.next() == Some(".") {
                name = words.next()?;
            }
            let name = name.trim_matches(|c| matches!(c, '"' | '`' | '[' | ']' | '\''));
            match name.to_ascii_lowercase().as_str() {
                "foreign_keys" => TransactionConflict::PragmaForeignKeys,
                "journal_mode" => TransactionConflict::PragmaJournalMode,
                _ => return None,
            }
        }
        _ => return None,
    };
    Some(conflict)
}

/// States of `sqlite3_complete()`'s machine, which decides where a statement ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Between statements.
    Start,
    /// Inside an ordinary statement.
    Normal,
    /// After a leading `EXPLAIN`.
    Explain,
    /// After `CREATE` (and `TEMP`): a `TRIGGER` here starts a body.
    Create,
    /// Inside a trigger body.
    Trigger,
    /// Inside a trigger body, right after a `;`.
    TriggerSemi,
    /// Inside a trigger body, after `; END`: a `;` now ends the statement.
    TriggerEnd,
}

/// Token classes of the same machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    Semi,
    Other,
    Explain,
    Create,
    Temp,
    Trigger,
    End,
}

impl State {
    fn next(self, class: Class) -> State {
        use Class as C;
        use State as S;
        match (self, class) {
            (S::TriggerEnd, C::Semi) => S::Start,
            (S::Trigger | S::TriggerSemi, C::Semi) => S::TriggerSemi,
            (S::TriggerSemi, C::End) => S::TriggerEnd,
            (S::Trigger | S::TriggerSemi | S::TriggerEnd, _) => S::Trigger,
            (_, C::Semi) => S::Start,
            (S::Start, C::Explain) => S::Explain,
            (S::Start | S::Explain, C::Create) => S::Create,
            (S::Explain, C::Other) => S::Explain,
            (S::Create, C::Temp) => S::Create,
            (S::Create, C::Trigger) => S::Trigger,
            _ => S::Normal,
        }
    }
}

fn classify(token: &Token, script: &str) -> Class {
    let text = &script[token.range.clone()];
    if token.kind != TokenKind::Word {
        return if text == ";" {
            Class::Semi
        } else {
            Class::Other
        };
    }
    const KEYWORDS: [(&str, Class); 6] = [
        ("EXPLAIN", Class::Explain),
        ("CREATE", Class::Create),
        ("TEMP", Class::Temp),
        ("TEMPORARY", Class::Temp),
        ("TRIGGER", Class::Trigger),
        ("END", Class::End),
    ];
    KEYWORDS
        .iter()
        .find(|(keyword, _)| keyword.eq_ignore_ascii_case(text))
        .map_or(Class::Other, |(_, class)| *class)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TokenKind {
    /// Whitespace or a comment.
    Trivia,
    /// An identifier or keyword.
    Word,
    /// A quoted token that is not closed before the end of the script.
    Unterminated(char),
    /// Anything else: punctuation, numbers, strings, quoted identifiers.
    Other,
}

#[derive(Debug, Clone)]
struct Token {
    kind: TokenKind,
    range: Range<usize>,
    line: u32,
}

/// A tokenizer with SQLite's rules for quoting and comments.
struct Lexer<'a> {
    bytes: &'a [u8],
    pos: usize,
    line: u32,
}

impl<'a> Lexer<'a> {
    fn new(text: &'a str) -> Self {
        Lexer {
            bytes: text.as_bytes(),
            pos: 0,
            line: 1,
        }
    }

    fn tokens(mut self) -> impl Iterator<Item = Token> + 'a {
        std::iter::from_fn(move || self.next_token())
    }

    fn next_token(&mut self) -> Option<Token> {
        let start = self.pos;
        let line = self.line;
        let first = *self.bytes.get(start)?;
        let kind = match first {
            b' ' | b'\t' | b'\n' | b'\r' | b'\x0c' => {
                self.advance_while(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r' | b'\x0c'));
                TokenKind::Trivia
            }
            b'-' if self.peek(1) == Some(b'-') => {
                self.advance_while(|b| b != b'\n');
                TokenKind::Trivia
            }
            // SQLite's tokenizer needs a character after `/*` to start a comment: a `/*` that
            // ends the input is `/` and `*`, a syntax error when it runs.
            b'/' if self.peek(1) == Some(b'*') && self.peek(2).is_some() => {
                // SQLite accepts a block comment left open at the end of the input.
                self.advance(2);
                while self.pos < self.bytes.len() && !self.bytes[self.pos..].starts_with(b"*/") {
                    self.advance(1);
                }
                self.advance(2.min(self.bytes.len() - self.pos));
                TokenKind::Trivia
            }
            b'\'' | b'"' | b'`' => self.quoted(first, first, true),
            b'[' => self.quoted(b'[', b']', false),
            b if is_word_start(b) => {
                self.advance_while(is_word_continue);
                TokenKind::Word
            }
            _ => {
                // One whole UTF-8 character, so that token ranges stay on char boundaries.
                let width = utf8_width(first);
                self.advance(width.min(self.bytes.len() - start));
                TokenKind::Other
            }
        };
        Some(Token {
            kind,
            range: start..self.pos,
            line,
        })
    }

    /// A quoted token; with `doubling`, two closing quotes in a row stand for one.
    fn quoted(&mut self, open: u8, close: u8, doubling: bool) -> TokenKind {
        self.advance(1);
        loop {
            match self.bytes.get(self.pos) {
                None => return TokenKind::Unterminated(char::from(open)),
                Some(&b) if b == close => {
                    self.advance(1);
                    if doubling && self.bytes.get(self.pos) == Some(&close) {
                        self.advance(1);
                    } else {
                        return TokenKind::Other;
                    }
                }
                Some(_) => self.advance(1),
            }
        }
    }

    fn peek(&self, ahead: usize) -> Option<u8> {
        self.bytes.get(self.pos + ahead).copied()
    }

    fn advance(&mut self, n: usize) {
        let end = self.pos + n;
        self.line += self.bytes[self.pos..end]
            .iter()
            .filter(|&&b| b == b'\n')
            .count() as u32;
        self.pos = end;
    }

    fn advance_while(&mut self, keep: impl Fn(u8) -> bool) {
        let n = self.bytes[self.pos..]
            .iter()
            .take_while(|&&b| keep(b))
            .count();
        self.advance(n);
    }
}

/// Like `sqlite3_complete()`, which reads any run of identifier characters (digits and `$`
/// included) as one word: `9CREATE` is not the keyword `CREATE`.
fn is_word_start(b: u8) -> bool {
    is_word_continue(b)
}

fn is_word_continue(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'$' || b >= 0x80
}

fn utf8_width(first: u8) -> usize {
    match first {
        0xF0..=0xFF => 4,
        0xE0..=0xEF => 3,
        0xC0..=0xDF => 2,
        _ => 1,
    }
}
