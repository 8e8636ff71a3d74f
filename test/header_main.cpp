// Every public header was compiled alone in its own translation unit; reaching main is the test.
int main() { return 0; }
