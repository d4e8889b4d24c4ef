//! Edge cases the scanner must get right; no function here is too long.

pub fn exactly_ninety<'a>(x: &'a str) -> &'a str {
    let open = "{ {{ \" {";
    let close = '}';
    let brace = '{';
    let raw = r#"}} "quoted" }"#;
    // a comment with a brace }
    /* a block { comment /* nested } */ still } */
    let escaped = '\'';
    let unicode = '\u{7b}';
    let s: &'static str = "}";
    let _ = (open, close, brace, raw, escaped, unicode, s);
    let _x0 = 0;
    let _x1 = 1;
    let _x2 = 2;
    let _x3 = 3;
    let _x4 = 4;
    let _x5 = 5;
    let _x6 = 6;
    let _x7 = 7;
    let _x8 = 8;
    let _x9 = 9;
    let _x10 = 10;
    let _x11 = 11;
    let _x12 = 12;
    let _x13 = 13;
    let _x14 = 14;
    let _x15 = 15;
    let _x16 = 16;
    let _x17 = 17;
    let _x18 = 18;
    let _x19 = 19;
    let _x20 = 20;
    let _x21 = 21;
    let _x22 = 22;
    let _x23 = 23;
    let _x24 = 24;
    let _x25 = 25;
    let _x26 = 26;
    let _x27 = 27;
    let _x28 = 28;
    let _x29 = 29;
    let _x30 = 30;
    let _x31 = 31;
    let _x32 = 32;
    let _x33 = 33;
    let _x34 = 34;
    let _x35 = 35;
    let _x36 = 36;
    let _x37 = 37;
    let _x38 = 38;
    let _x39 = 39;
    let _x40 = 40;
    let _x41 = 41;
    let _x42 = 42;
    let _x43 = 43;
    let _x44 = 44;
    let _x45 = 45;
    let _x46 = 46;
    let _x47 = 47;
    let _x48 = 48;
    let _x49 = 49;
    let _x50 = 50;
    let _x51 = 51;
    let _x52 = 52;
    let _x53 = 53;
    let _x54 = 54;
    let _x55 = 55;
    let _x56 = 56;
    let _x57 = 57;
    let _x58 = 58;
    let _x59 = 59;
    let _x60 = 60;
    let _x61 = 61;
    let _x62 = 62;
    let _x63 = 63;
    let _x64 = 64;
    let _x65 = 65;
    let _x66 = 66;
    let _x67 = 67;
    let _x68 = 68;
    let _x69 = 69;
    let _x70 = 70;
    let _x71 = 71;
    let _x72 = 72;
    let _x73 = 73;
    let _x74 = 74;
    let _x75 = 75;
    let _x76 = 76;
    x
}

pub trait Declared {
    fn declared(&self) -> [u8; 4];
    fn with_default(&self) {}
}

pub fn pointer(f: fn(u8) -> u8) -> u8 {
    f(1)
}
