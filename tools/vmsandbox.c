typedef int vms_placeholder_vmsandbox;
int main(void); int main(void) { return 0; }
