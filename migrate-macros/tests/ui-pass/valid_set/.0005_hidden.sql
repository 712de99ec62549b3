not sql
