UPDATE users SET nickname = NULL;
