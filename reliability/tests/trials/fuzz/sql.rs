//! Valid SQL scripts with a known number of statements, built from pieces that hold what a
//! splitter gets wrong: `;` in strings, identifiers and comments, trigger bodies with their
//! inner `;` and `CASE ... END`, `EXPLAIN`, CRLF line ends, non-ASCII text, control
//! characters inside strings. The splitter target mutates them into near-valid scripts.

use crate::common::Rng;

/// One statement, without its `;`: (text, number of statements it makes).
const STATEMENTS: &[&str] = &[
    "CREATE TABLE t (x TEXT DEFAULT ';')",
    "INSERT INTO t VALUES ('a;b'), ('it''s; fine')",
    "SELECT [a;b], \"c;d\", `e;f` FROM t",
    "/* ; */ SELECT 2 /* ; */",
    "SELECT 1 -- ; a comment\n + 1",
    "CREATE TRIGGER tr AFTER INSERT ON t BEGIN INSERT INTO log VALUES (1); UPDATE t SET x = CASE WHEN x THEN 1 ELSE 2 END; END",
    "create temp trigger tr2 after delete on t begin select 1; delete from log; end",
    "CREATE TEMPORARY TRIGGER tr3 BEFORE UPDATE ON t BEGIN SELECT ';'; END",
    "EXPLAIN CREATE TRIGGER tr4 AFTER INSERT ON t BEGIN SELECT 1; END",
    "EXPLAIN SELECT 1",
    "SELECT 'é😀', x FROM t WHERE x = 'end'",
    "SELECT '\u{1}\u{7f}' AS \"\u{1b}\"",
    "SELECT CASE x WHEN 1 THEN 'END' END FROM t",
    "CREATE INDEX t_x ON t (x)",
    "CREATE VIEW v AS SELECT x AS \"end\" FROM t",
    "SELECT $end, :create, @trigger, ?1",
    "SELECT 9CREATE",
    "UPDATE t SET x = x - -1 / 2 * 3",
];

/// What goes between statements.
const GAPS: &[&str] = &[
    "\n",
    "\n",
    " ",
    "\r\n",
    "\n\n",
    "\t",
    "\n-- note; not a statement\n",
    "\n/* a; b */\n",
    ";\n",
    " ; ;\n",
    "\x0c",
];

/// A valid script of 1 to 4 statements and its statement count.
pub fn script(rng: &mut Rng) -> (String, usize) {
    let n = rng.range(1, 4) as usize;
    let mut text = String::new();
    if rng.chance(10) {
        text.push_str(rng.pick::<&str>(GAPS));
    }
    for i in 0..n {
        text.push_str(rng.pick::<&str>(STATEMENTS));
        // The last statement may lack its `;`: SQLite runs it all the same.
        if i + 1 < n || rng.chance(85) {
            text.push(';');
        }
        if i + 1 < n || rng.chance(50) {
            text.push_str(rng.pick::<&str>(GAPS));
        }
    }
    (text, n)
}

/// What a mutation inserts: the tokens that change where statements end.
const PIECES: &[&str] = &[
    ";", ";", "'", "\"", "`", "[", "]", "--", "/*", "*/", "\n", " ", "END", "end", "CREATE",
    "TRIGGER", "TEMP", "EXPLAIN", "BEGIN", "CASE", "x", "'a;b'", "-- c;\n", "/* ; */", "é",
    "\u{feff}", "\u{1}", "$", "9",
];

/// `text` with 1 to 3 random insertions, deletions or truncations, on char boundaries.
pub fn mutate(rng: &mut Rng, text: &mut String) {
    for _ in 0..rng.range(1, 3) {
        let boundaries: Vec<usize> = (0..=text.len())
            .filter(|&i| text.is_char_boundary(i))
            .collect();
        let at = *rng.pick(&boundaries);
        match rng.below(4) {
            0 | 1 => text.insert_str(at, rng.pick::<&str>(PIECES)),
            2 => {
                let end = *rng.pick(&boundaries);
                let (from, to) = (at.min(end), at.max(end));
                // Short deletions: a long one turns the script into mostly nothing.
                let to = boundaries
                    .iter()
                    .copied()
                    .filter(|&b| b >= from && b <= to)
                    .take(4)
                    .last()
                    .unwrap_or(from);
                text.replace_range(from..to, "");
            }
            _ => {
                // Cut the second half somewhere: a script that stops mid-token.
                let half = text.len() / 2;
                let cut = boundaries.iter().copied().find(|&b| b >= half.max(at));
                text.truncate(cut.unwrap_or(text.len()));
            }
        }
    }
}
