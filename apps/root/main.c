/*
 * The root task: the first EL0 program. For now it greets, shows that its
 * system calls work, and ends the system; later it reads the system
 * description and creates every server and VM.
 */
#include <mica/print.h>
#include <mica/sys.h>

int main(void)
{
	printf("root: hello from the root task at EL0\n");
	printf("START root\n");
	printf("FINISHED\n");
	return 0;
}
