#include <icecap/icecap.h>
int main(ic_bootinfo_t *bi)
{
    (void)bi;
    ic_printf("bench done\n");
    return 0;
}
