//! A small OData `$filter` evaluator over rendered JSON entities.
//!
//! It covers what Microsoft Graph supports on the directory endpoints the
//! simulator serves: `eq`, `ne`, `ge`, `le`, `gt`, `lt`, `and`, `or`, `not`,
//! `startswith`, `endswith`, `in`, and `any` lambdas on collections
//! (`groupTypes/any(c:c eq 'Unified')`, `assignedLicenses/any(x:x/skuId eq …)`).

use serde_json::Value;

/// A parsed filter.
#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    /// `a and b`.
    And(Box<Filter>, Box<Filter>),
    /// `a or b`.
    Or(Box<Filter>, Box<Filter>),
    /// `not a`.
    Not(Box<Filter>),
    /// `path op literal`.
    Compare {
        /// Property path.
        path: String,
        /// Operator.
        op: Op,
        /// Literal.
        value: Value,
    },
    /// `path in (a, b)`.
    In {
        /// Property path.
        path: String,
        /// Literals.
        values: Vec<Value>,
    },
    /// `startswith(path, 'x')` or `endswith(path, 'x')`.
    Func {
        /// `startswith` or `endswith`.
        name: String,
        /// Property path.
        path: String,
        /// Literal.
        value: Value,
    },
    /// `path/any(x: inner)` where `inner` refers to the element as `x`.
    Any {
        /// Collection property path.
        path: String,
        /// Lambda variable.
        var: String,
        /// Condition on each element.
        inner: Box<Filter>,
    },
}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// Equal.
    Eq,
    /// Not equal.
    Ne,
    /// Greater or equal.
    Ge,
    /// Less or equal.
    Le,
    /// Greater.
    Gt,
    /// Less.
    Lt,
}

/// Why a filter could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilterSyntaxError(pub String);

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Ident(String),
    Str(String),
    Num(f64),
    Open,
    Close,
    Comma,
    Colon,
}

fn tokenize(input: &str) -> Result<Vec<Token>, FilterSyntaxError> {
    let mut out = Vec::new();
    let chars: Vec<char> = input.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            ' ' | '\t' => i += 1,
            '(' => {
                out.push(Token::Open);
                i += 1;
            }
            ')' => {
                out.push(Token::Close);
                i += 1;
            }
            ',' => {
                out.push(Token::Comma);
                i += 1;
            }
            ':' => {
                out.push(Token::Colon);
                i += 1;
            }
            '\'' => {
                let mut s = String::new();
                i += 1;
                loop {
                    match chars.get(i) {
                        None => {
                            return Err(FilterSyntaxError("unterminated string literal".into()));
                        }
                        Some('\'') if chars.get(i + 1) == Some(&'\'') => {
                            s.push('\'');
                            i += 2;
                        }
                        Some('\'') => {
                            i += 1;
                            break;
                        }
                        Some(ch) => {
                            s.push(*ch);
                            i += 1;
                        }
                    }
                }
                out.push(Token::Str(s));
            }
            c if c.is_ascii_digit() || c == '-' => {
                let start = i;
                while i < chars.len()
                    && (chars[i].is_ascii_alphanumeric() || matches!(chars[i], '-' | '.' | ':'))
                {
                    i += 1;
                }
                let text: String = chars[start..i].iter().collect();
                // GUIDs and dates are bare literals in OData.
                match text.parse::<f64>() {
                    Ok(n)
                        if !text.contains('-')
                            || text.starts_with('-') && text[1..].parse::<f64>().is_ok() =>
                    {
                        out.push(Token::Num(n))
                    }
                    _ => out.push(Token::Str(text)),
                }
            }
            c if c.is_alphanumeric() || c == '_' || c == '@' || c == '$' => {
                let start = i;
                while i < chars.len()
                    && (chars[i].is_alphanumeric()
                        || matches!(chars[i], '_' | '/' | '.' | '@' | '$' | '-'))
                {
                    i += 1;
                }
                out.push(Token::Ident(chars[start..i].iter().collect()));
            }
            other => return Err(FilterSyntaxError(format!("unexpected character '{other}'"))),
        }
    }
    Ok(out)
}

/// How deeply parentheses, `not` and lambdas may nest (Graph's own limit is lower).
const MAX_DEPTH: usize = 32;

struct Parser {
    tokens: Vec<Token>,
    pos: usize,
    depth: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.pos)
    }

    fn next(&mut self) -> Option<Token> {
        let t = self.tokens.get(self.pos).cloned();
        self.pos += 1;
        t
    }

    fn keyword(&self, word: &str) -> bool {
        matches!(self.peek(), Some(Token::Ident(w)) if w.eq_ignore_ascii_case(word))
    }

    fn expect(&mut self, t: Token) -> Result<(), FilterSyntaxError> {
        match self.next() {
            Some(ref got) if *got == t => Ok(()),
            got => Err(FilterSyntaxError(format!("expected {t:?}, found {got:?}"))),
        }
    }

    fn or(&mut self) -> Result<Filter, FilterSyntaxError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(FilterSyntaxError(format!(
                "the filter nests deeper than {MAX_DEPTH} levels"
            )));
        }
        let result = self.or_inner();
        self.depth -= 1;
        result
    }

    fn or_inner(&mut self) -> Result<Filter, FilterSyntaxError> {
        let mut left = self.and()?;
        while self.keyword("or") {
            self.pos += 1;
            left = Filter::Or(Box::new(left), Box::new(self.and()?));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Filter, FilterSyntaxError> {
        let mut left = self.unary()?;
        while self.keyword("and") {
            self.pos += 1;
            left = Filter::And(Box::new(left), Box::new(self.unary()?));
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Filter, FilterSyntaxError> {
        if self.keyword("not") {
            self.pos += 1;
            self.depth += 1;
            if self.depth > MAX_DEPTH {
                return Err(FilterSyntaxError(format!(
                    "the filter nests deeper than {MAX_DEPTH} levels"
                )));
            }
            let inner = self.unary();
            self.depth -= 1;
            return Ok(Filter::Not(Box::new(inner?)));
        }
        self.primary()
    }

    fn literal(&mut self) -> Result<Value, FilterSyntaxError> {
        match self.next() {
            Some(Token::Str(s)) => Ok(Value::String(s)),
            Some(Token::Num(n)) => Ok(serde_json::Number::from_f64(n)
                .map(Value::Number)
                .unwrap_or(Value::Null)),
            Some(Token::Ident(w)) if w.eq_ignore_ascii_case("true") => Ok(Value::Bool(true)),
            Some(Token::Ident(w)) if w.eq_ignore_ascii_case("false") => Ok(Value::Bool(false)),
            Some(Token::Ident(w)) if w.eq_ignore_ascii_case("null") => Ok(Value::Null),
            other => Err(FilterSyntaxError(format!(
                "expected a literal, found {other:?}"
            ))),
        }
    }

    fn primary(&mut self) -> Result<Filter, FilterSyntaxError> {
        match self.next() {
            Some(Token::Open) => {
                let inner = self.or()?;
                self.expect(Token::Close)?;
                Ok(inner)
            }
            Some(Token::Ident(name)) => {
                let lower = name.to_ascii_lowercase();
                if (lower == "startswith" || lower == "endswith")
                    && self.peek() == Some(&Token::Open)
                {
                    self.pos += 1;
                    let path = match self.next() {
                        Some(Token::Ident(p)) => p,
                        other => {
                            return Err(FilterSyntaxError(format!(
                                "expected a property, found {other:?}"
                            )));
                        }
                    };
                    self.expect(Token::Comma)?;
                    let value = self.literal()?;
                    self.expect(Token::Close)?;
                    return Ok(Filter::Func {
                        name: lower,
                        path,
                        value,
                    });
                }
                if let Some((path, lambda)) = split_lambda(&name)
                    && self.peek() == Some(&Token::Open)
                    && (lambda.eq_ignore_ascii_case("any"))
                {
                    self.pos += 1;
                    let var = match self.next() {
                        Some(Token::Ident(v)) => v,
                        other => {
                            return Err(FilterSyntaxError(format!(
                                "expected a lambda variable, found {other:?}"
                            )));
                        }
                    };
                    self.expect(Token::Colon)?;
                    let inner = self.or()?;
                    self.expect(Token::Close)?;
                    return Ok(Filter::Any {
                        path: path.to_owned(),
                        var,
                        inner: Box::new(inner),
                    });
                }
                let op = match self.next() {
                    Some(Token::Ident(op)) => op.to_ascii_lowercase(),
                    other => {
                        return Err(FilterSyntaxError(format!(
                            "expected an operator after '{name}', found {other:?}"
                        )));
                    }
                };
                if op == "in" {
                    self.expect(Token::Open)?;
                    let mut values = vec![self.literal()?];
                    while self.peek() == Some(&Token::Comma) {
                        self.pos += 1;
                        values.push(self.literal()?);
                    }
                    self.expect(Token::Close)?;
                    return Ok(Filter::In { path: name, values });
                }
                let op = match op.as_str() {
                    "eq" => Op::Eq,
                    "ne" => Op::Ne,
                    "ge" => Op::Ge,
                    "le" => Op::Le,
                    "gt" => Op::Gt,
                    "lt" => Op::Lt,
                    other => return Err(FilterSyntaxError(format!("unknown operator '{other}'"))),
                };
                let value = self.literal()?;
                Ok(Filter::Compare {
                    path: name,
                    op,
                    value,
                })
            }
            other => Err(FilterSyntaxError(format!("unexpected {other:?}"))),
        }
    }
}

fn split_lambda(name: &str) -> Option<(&str, &str)> {
    let (path, last) = name.rsplit_once('/')?;
    Some((path, last))
}

impl Filter {
    /// Parses a `$filter` expression.
    pub fn parse(input: &str) -> Result<Filter, FilterSyntaxError> {
        let mut parser = Parser {
            tokens: tokenize(input)?,
            pos: 0,
            depth: 0,
        };
        let filter = parser.or()?;
        if parser.pos < parser.tokens.len() {
            return Err(FilterSyntaxError(format!(
                "unexpected {:?}",
                parser.tokens[parser.pos]
            )));
        }
        Ok(filter)
    }

    /// Every property path the filter reads (for checking what is filterable).
    pub fn paths(&self) -> Vec<String> {
        match self {
            Filter::And(a, b) | Filter::Or(a, b) => {
                let mut v = a.paths();
                v.extend(b.paths());
                v
            }
            Filter::Not(a) => a.paths(),
            Filter::Compare { path, .. } | Filter::In { path, .. } | Filter::Func { path, .. } => {
                vec![path.clone()]
            }
            Filter::Any { path, .. } => vec![path.clone()],
        }
    }

    /// Whether the filter uses an operator that needs advanced query capabilities
    /// (`endswith`, `ne`, `not`), and which one.
    pub fn advanced_operator(&self) -> Option<&'static str> {
        match self {
            Filter::And(a, b) | Filter::Or(a, b) => {
                a.advanced_operator().or_else(|| b.advanced_operator())
            }
            Filter::Not(_) => Some("not"),
            Filter::Compare { op: Op::Ne, .. } => Some("ne"),
            Filter::Func { name, .. } if name == "endswith" => Some("endsWith"),
            Filter::Any { inner, .. } => inner.advanced_operator(),
            _ => None,
        }
    }

    /// Evaluates the filter on an entity.
    pub fn matches(&self, entity: &Value) -> bool {
        self.eval(entity, None)
    }

    fn eval(&self, entity: &Value, var: Option<(&str, &Value)>) -> bool {
        match self {
            Filter::And(a, b) => a.eval(entity, var) && b.eval(entity, var),
            Filter::Or(a, b) => a.eval(entity, var) || b.eval(entity, var),
            Filter::Not(a) => !a.eval(entity, var),
            Filter::Compare { path, op, value } => compare(&resolve(entity, path, var), *op, value),
            Filter::In { path, values } => {
                let v = resolve(entity, path, var);
                values.iter().any(|x| compare(&v, Op::Eq, x))
            }
            Filter::Func { name, path, value } => {
                let (Value::String(have), Value::String(want)) =
                    (resolve(entity, path, var), value)
                else {
                    return false;
                };
                let (have, want) = (have.to_lowercase(), want.to_lowercase());
                if name == "startswith" {
                    have.starts_with(&want)
                } else {
                    have.ends_with(&want)
                }
            }
            Filter::Any {
                path,
                var: name,
                inner,
            } => match resolve(entity, path, var) {
                Value::Array(items) => items
                    .iter()
                    .any(|item| inner.eval(entity, Some((name, item)))),
                _ => false,
            },
        }
    }
}

fn resolve(entity: &Value, path: &str, var: Option<(&str, &Value)>) -> Value {
    let mut parts = path.split('/');
    let first = parts.next().unwrap_or_default();
    let mut current = match var {
        Some((name, value)) if name == first => value.clone(),
        _ => get_ci(entity, first),
    };
    for part in parts {
        current = get_ci(&current, part);
    }
    current
}

fn get_ci(value: &Value, key: &str) -> Value {
    match value {
        Value::Object(map) => map
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v.clone())
            .unwrap_or(Value::Null),
        _ => Value::Null,
    }
}

fn compare(have: &Value, op: Op, want: &Value) -> bool {
    use std::cmp::Ordering;
    let ordering = match (have, want) {
        (Value::String(a), Value::String(b)) => Some(a.to_lowercase().cmp(&b.to_lowercase())),
        (Value::Number(a), Value::Number(b)) => a
            .as_f64()
            .zip(b.as_f64())
            .and_then(|(a, b)| a.partial_cmp(&b)),
        (Value::Bool(a), Value::Bool(b)) => Some(a.cmp(b)),
        (Value::Null, Value::Null) => Some(Ordering::Equal),
        _ => None,
    };
    match (op, ordering) {
        (Op::Eq, o) => o == Some(Ordering::Equal),
        (Op::Ne, o) => o != Some(Ordering::Equal),
        (Op::Ge, Some(o)) => o != Ordering::Less,
        (Op::Le, Some(o)) => o != Ordering::Greater,
        (Op::Gt, Some(o)) => o == Ordering::Greater,
        (Op::Lt, Some(o)) => o == Ordering::Less,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn user() -> Value {
        json!({"displayName":"Adele Vance","userPrincipalName":"adelev@contoso.com","accountEnabled":true,
               "assignedLicenses":[{"skuId":"6fd2c87f-b296-42f0-b197-1e91e994b900","disabledPlans":[]}],
               "groupTypes":["Unified"],"mail":null})
    }

    #[test]
    fn evaluates_what_graph_supports() {
        let u = user();
        let cases = [
            ("startswith(displayName,'ade')", true),
            ("userPrincipalName eq 'ADELEV@contoso.com'", true),
            (
                "accountEnabled eq true and startswith(displayName,'x')",
                false,
            ),
            (
                "accountEnabled eq false or displayName eq 'Adele Vance'",
                true,
            ),
            (
                "assignedLicenses/any(x:x/skuId eq 6fd2c87f-b296-42f0-b197-1e91e994b900)",
                true,
            ),
            ("groupTypes/any(c:c eq 'Unified')", true),
            ("displayName in ('A','Adele Vance')", true),
            ("mail eq null", true),
            ("not(accountEnabled eq true)", false),
            ("endswith(userPrincipalName,'@contoso.com')", true),
        ];
        for (f, expected) in cases {
            let parsed = Filter::parse(f).unwrap_or_else(|e| panic!("{f}: {e:?}"));
            assert_eq!(parsed.matches(&u), expected, "{f}");
        }
    }

    #[test]
    fn knows_advanced_operators_and_rejects_garbage() {
        assert_eq!(
            Filter::parse("endswith(mail,'x')")
                .map(|f| f.advanced_operator())
                .ok(),
            Some(Some("endsWith"))
        );
        assert_eq!(
            Filter::parse("mail ne 'x'")
                .map(|f| f.advanced_operator())
                .ok(),
            Some(Some("ne"))
        );
        assert!(Filter::parse("displayName eq").is_err());
        assert!(Filter::parse("displayName ~ 'x'").is_err());
        assert!(Filter::parse("startswith(displayName,'x'").is_err());
        let deep = format!(
            "{}displayName eq 'x'{}",
            "(".repeat(10_000),
            ")".repeat(10_000)
        );
        assert!(
            Filter::parse(&deep).is_err(),
            "deep nesting is refused, not a stack overflow"
        );
        assert!(Filter::parse(&"not ".repeat(10_000)).is_err());
    }
}
