"""The caseworker's tools beside `zhucan check`: the one-message quick check (quickcheck, Telegram's
/check) and `zhucan ask` (only the questions that matter)."""
